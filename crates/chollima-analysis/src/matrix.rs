//! The square Leontief matrix `A` (inputs per unit of output) of an economy.

use chollima_model::{Economy, LABOUR, SparseColumns};

use crate::AnalysisError;

/// `A` by columns, one column per product, and the labour per unit of output.
#[derive(Debug, Clone)]
pub struct LeontiefMatrix {
    pub col_start: Vec<usize>,
    pub row: Vec<u32>,
    pub value: Vec<f64>,
    /// Labour per unit of output, where the economy has a `labour` resource.
    pub labour: Option<Vec<f64>>,
    /// Products nothing makes: their columns are zero.
    pub unmade_products: usize,
}

/// `A` as [`leontief_matrix`] builds it, moved out of the economy instead of copied where the
/// economy's input columns already are `A` (technique `j` makes product `j` with output 1, as
/// every importer writes them): then `economy.inputs` is left empty. A table of 10^7 non-zeros
/// saves 120 MB and a pass; WIOD's 5 MB of fresh memory were a tenth of `import --analyze`.
/// Other economies get a copy and keep their inputs.
pub fn take_leontief_matrix(economy: &mut Economy) -> Result<LeontiefMatrix, AnalysisError> {
    let n = economy.products.len();
    let techniques = &economy.techniques;
    let in_place = techniques.product.len() == n
        && economy.inputs.ncols() == n
        && techniques
            .product
            .iter()
            .enumerate()
            .all(|(k, &p)| p as usize == k)
        && techniques.output.iter().all(|&o| o == 1.0);
    if !in_place {
        return leontief_matrix(economy);
    }
    let labour = economy
        .manifest
        .resource_index(LABOUR)
        .map(|r| techniques.resource_use[r].clone());
    let nrows = economy.inputs.nrows();
    let inputs = std::mem::replace(&mut economy.inputs, SparseColumns::empty(nrows, n));
    let (_, col_start, row, value) = inputs.into_raw();
    Ok(LeontiefMatrix {
        col_start,
        row,
        value,
        labour,
        unmade_products: 0,
    })
}

/// Builds `A` from the economy's techniques: column `j` is the input column of the technique
/// that makes product `j`, divided by its output. A product without a technique gets a zero
/// column (it can only come from final demand, as a zero-output sector does in pymrio).
pub fn leontief_matrix(economy: &Economy) -> Result<LeontiefMatrix, AnalysisError> {
    let n = economy.products.len();
    let techniques = &economy.techniques;
    let mut maker: Vec<Option<usize>> = vec![None; n];
    let mut several = 0usize;
    let mut first = None;
    for (k, &p) in techniques.product.iter().enumerate() {
        let slot = &mut maker[p as usize];
        if slot.is_none() {
            *slot = Some(k);
        } else {
            several += 1;
            first.get_or_insert(p);
        }
    }
    if let Some(p) = first {
        return Err(AnalysisError::SeveralTechniques {
            count: several,
            first: economy.products.ids[p as usize].to_owned(),
        });
    }
    Ok(technology_matrix(economy, &maker))
}

/// `A` for a choice of technique per product: column `j` is the input column of technique
/// `chosen[j]` divided by its output, a zero column where `chosen[j]` is `None`. Plans with
/// several techniques per product value their output with the technology they chose.
pub fn technology_matrix(economy: &Economy, chosen: &[Option<usize>]) -> LeontiefMatrix {
    let n = economy.products.len();
    let techniques = &economy.techniques;
    let labour_index = economy.manifest.resource_index(LABOUR);
    let mut col_start = Vec::with_capacity(n + 1);
    let nnz = economy.inputs.nnz();
    let mut row = Vec::with_capacity(nnz);
    let mut value = Vec::with_capacity(nnz);
    let mut labour = labour_index.map(|_| vec![0.0; n]);
    let mut unmade_products = 0;
    col_start.push(0);
    for (j, &k) in chosen.iter().enumerate() {
        if let Some(k) = k {
            let output = techniques.output[k];
            let (rows, values) = economy.inputs.column(k);
            row.extend_from_slice(rows);
            if output == 1.0 {
                value.extend_from_slice(values);
            } else {
                value.extend(values.iter().map(|v| v / output));
            }
            if let (Some(l), Some(r)) = (labour.as_mut(), labour_index) {
                l[j] = techniques.resource_use[r][k] / output;
            }
        } else {
            unmade_products += 1;
        }
        col_start.push(row.len());
    }
    LeontiefMatrix {
        col_start,
        row,
        value,
        labour,
        unmade_products,
    }
}

/// The longest run of one group that [`group_blocks`] turns into a dense diagonal block.
const MAX_BLOCK: usize = 400;

/// Diagonal blocks for the block-Jacobi preconditioner: the runs of consecutive products with
/// the same `group`, as a multi-regional table lists its regions (`AUS_c1..AUS_c35`, ...).
/// Returns the first index of every run and then `n`, or `None` when the groups do not make
/// blocks worth solving: no groups, runs of under 4 products on average, a run longer than
/// `MAX_BLOCK` (its dense inverse would cost too much), or blocks whose inverses hold more
/// numbers than `A` has non-zeros (each application would cost more than a pass over `A`).
pub fn group_blocks(economy: &Economy) -> Option<Vec<usize>> {
    group_blocks_of(economy, economy.inputs.nnz())
}

/// [`group_blocks`] for a matrix `A` of `nnz` non-zeros (the economy's inputs may have been
/// taken out by [`take_leontief_matrix`]).
pub(crate) fn group_blocks_of(economy: &Economy, nnz: usize) -> Option<Vec<usize>> {
    let groups = economy.products.groups.as_ref()?;
    let n = groups.len();
    let mut starts = vec![0];
    for i in 1..n {
        if groups[i] != groups[i - 1] {
            starts.push(i);
        }
    }
    starts.push(n);
    let sizes = || starts.windows(2).map(|w| w[1] - w[0]);
    let worth = n >= 4 * (starts.len() - 1)
        && sizes().all(|s| s <= MAX_BLOCK)
        && sizes().map(|s| s * s).sum::<usize>() <= nnz + n;
    worth.then_some(starts)
}
