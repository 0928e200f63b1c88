// Hands HiGHS a starting basis that is square and nonsingular by construction as "not alien".
//
// Why: HiGHS's C interface (`Highs_setBasis`, all that the highs-sys crate offers) marks every
// basis from outside as alien: HiGHS factors it to check it, drops that factorization, and
// factors it again to start the simplex. A Leontief basis of 10^4 products takes about 1 s to
// factor, more than the simplex iterations from it (BENCHMARKS.md, "HiGHS from the listed
// plan's basis"). HiGHS's C++ `Highs::setBasis` takes a basis marked not alien after checking
// only that it has one basic variable per row; highspy passes bases that way.
//
// The declarations below are HiGHS 1.16's (lp_data/HStruct.h, lp_data/HConst.h,
// lp_data/HighsStatus.h, Highs.h; HighsInt is 32 bits in highs-sys's build), so that this file
// needs none of HiGHS's headers, which highs-sys does not export. The workspace pins highs-sys
// to exactly 1.16.0; a test (vertex_basis's) checks the hand-over end to end.
#include <cstdint>
#include <string>
#include <vector>

using HighsInt = int;

enum class HighsStatus { kError = -1, kOk = 0, kWarning = 1 };

enum class HighsBasisStatus : uint8_t { kLower = 0, kBasic, kUpper, kZero, kNonbasic };

struct HighsBasis {
  bool valid = false;
  bool alien = true;
  bool useful = false;
  bool was_alien = true;
  HighsInt debug_id = -1;
  HighsInt debug_update_count = -1;
  std::string debug_origin_name = "None";
  std::vector<HighsBasisStatus> col_status;
  std::vector<HighsBasisStatus> row_status;
};

class Highs {
 public:
  HighsStatus setBasis(const HighsBasis& basis, const std::string& origin);
};

// `columns` and `rows` hold HiGHS's kHighsBasisStatus values (0 lower, 1 basic, 2 upper), one
// per column and row of the model in `highs`; exactly `num_row` of them must be basic. Returns
// the kHighsStatus of the call: -1 (error) when the basis is refused, HiGHS's model unchanged.
extern "C" int chollima_highs_set_square_basis(void* highs, const int* columns,
                                                int num_col, const int* rows,
                                                int num_row) {
  HighsBasis basis;
  basis.col_status.reserve(num_col);
  basis.row_status.reserve(num_row);
  HighsInt basic = 0;
  for (int j = 0; j < num_col; j++) {
    if (columns[j] < 0 || columns[j] > 2) return -1;
    basis.col_status.push_back(static_cast<HighsBasisStatus>(columns[j]));
    basic += columns[j] == 1;
  }
  for (int i = 0; i < num_row; i++) {
    if (rows[i] < 0 || rows[i] > 2) return -1;
    basis.row_status.push_back(static_cast<HighsBasisStatus>(rows[i]));
    basic += rows[i] == 1;
  }
  if (basic != num_row) return -1;
  basis.valid = true;
  basis.alien = false;
  basis.was_alien = false;
  basis.useful = true;
  try {
    return static_cast<int>(static_cast<Highs*>(highs)->setBasis(basis, "chollima"));
  } catch (...) {
    return -1;
  }
}
