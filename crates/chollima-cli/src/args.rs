//! Raw command-line arguments, as clap reads them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// chollima: input-output analysis and economic planning.
#[derive(Debug, Parser)]
#[command(name = "chollima", version)]
pub struct Cli {
    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an economy package and list every problem (exit 2 when there are errors).
    Validate {
        /// The package folder.
        package: PathBuf,
    },
    /// Input-output analysis: gross output, multipliers, labour values, linkages.
    Analyze(AnalyzeArgs),
    /// Turn a published table into an economy package.
    Import(ImportArgs),
    /// Write a synthetic economy with realistic structure.
    Generate(GenerateArgs),
    /// The optimal plan: the plan ray with priorities, techniques, resources, trade (exit 3
    /// when there is no optimal plan: infeasible, unbounded or stopped).
    Plan(PlanArgs),
    /// The plan office: an HTTP server where the plan reaches enterprises and work teams,
    /// output is reported, fulfilment is watched and alerts are raised.
    Serve(ServeArgs),
    /// Write a plan made by `chollima plan` as the plan office takes it (the JSON body of
    /// `POST /api/plans`): each technique with its product's category and shadow price.
    OfficePlan(OfficePlanArgs),
}

#[derive(Debug, Args)]
pub struct OfficePlanArgs {
    /// The folder `chollima plan --out` wrote (a single-period plan).
    pub plan: PathBuf,
    /// The package the plan was made from (for the categories of the targets).
    #[arg(long)]
    pub package: PathBuf,
    /// The plan's name in the office (default: the plan folder's name).
    #[arg(long)]
    pub name: Option<String>,
    /// Periods to break the plan into.
    #[arg(long, default_value_t = 12)]
    pub periods: u32,
    /// What a period is.
    #[arg(long, default_value = "month")]
    pub period_unit: String,
    /// Write the JSON here instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The database: an SQLite file (created on first start) or `postgres://USER@HOST/DB`.
    #[arg(long, default_value = "chollima-office.db")]
    pub database: String,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Create the first administrator with this name and exit. The password is read from
    /// the environment variable CHOLLIMA_ADMIN_PASSWORD, or else from the first line of
    /// standard input; there is no default password.
    #[arg(long, value_name = "NAME")]
    pub init_admin: Option<String>,
    /// Seconds an alert waits for acknowledgement before it goes one level up.
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    pub escalate_after: i64,
    /// Periods of over-fulfilment in a row that make a "Chollima work team".
    #[arg(long, default_value_t = 3)]
    pub title_streak: u32,
    /// Requests per second allowed to one token (or one address without a token).
    #[arg(long, default_value_t = 50.0)]
    pub rate_limit: f64,
    /// Requests one client may make at once before the rate limit applies.
    #[arg(long, default_value_t = 100.0)]
    pub burst: f64,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The package folder.
    pub package: PathBuf,
    /// Folder for summary.json, techniques.csv and products.csv.
    #[arg(long, short)]
    pub out: PathBuf,
    /// How to solve.
    #[arg(long, value_enum, default_value_t = PlanMethodArg::Auto)]
    pub method: PlanMethodArg,
    /// Also write the LP as a free-format MPS file (the first group's lambda as objective).
    #[arg(long, value_name = "FILE")]
    pub export_mps: Option<PathBuf>,
    /// Stop each solver stage after this many seconds (status `time_limit`).
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,
    /// Re-plan a multi-year plan from this year on (rolling horizon), given --actuals.
    #[arg(long, value_name = "YEAR")]
    pub from_year: Option<u32>,
    /// What the years before --from-year actually did: a CSV of technique, year, activity,
    /// investment (capacity built).
    #[arg(long, value_name = "FILE")]
    pub actuals: Option<PathBuf>,
    /// Also plan without the least reliable source of finance.csv and write what that costs
    /// in fulfilment to stress.json.
    #[arg(long)]
    pub stress: bool,
    /// The certified relative duality gap at which the first-order method stops.
    #[arg(long, value_name = "GAP", default_value_t = chollima_engine::DEFAULT_PLAN_GAP)]
    pub gap: f64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PlanMethodArg {
    /// The closed form where it applies (one technique per product, no trade, no
    /// priorities), otherwise the listed plan if it meets --gap, else HiGHS (raced against
    /// the first-order method on plans of 50,000 nonzeros or more), beyond 500,000 nonzeros
    /// the first-order method (raced against the iterative simplex on the first stage up to
    /// 4 x 10^7 nonzeros). Multi-year plans: HiGHS, raced against the first-order method from
    /// 10^5 nonzeros.
    Auto,
    /// The exact LP through HiGHS.
    Highs,
    /// The first-order method (PDHG as in PDLP): certified to within --gap, for large plans.
    Pdlp,
    /// Merit-order price iteration: supply filled cheapest way first at prices from what
    /// binds; certified to within --gap, for large plans.
    Merit,
    /// Cockshott's harmony algorithm, with its plan repaired and certified (a gap is reported).
    Harmony,
    /// The primal simplex with iterative (GMRES) basis solves from the listed plan's basis, for
    /// the first stage of large plans; HiGHS where it does not settle it and for later stages.
    Simplex,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The package folder.
    pub package: PathBuf,
    /// Folder for products.csv, summary.json (and leontief_inverse.csv).
    #[arg(long, short)]
    pub out: PathBuf,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// How to analyse: shared by `analyze` and `import --analyze`.
#[derive(Debug, Args)]
pub struct AnalysisArgs {
    /// A `product,quantity` CSV to use as final demand instead of targets.csv.
    #[arg(long)]
    pub demand: Option<PathBuf>,
    /// Also write the dense Leontief inverse (small tables only).
    #[arg(long)]
    pub inverse: bool,
    /// How to solve (I - A) x = d.
    #[arg(long, value_enum, default_value_t = MethodArg::Auto)]
    pub method: MethodArg,
    /// Relative residual at which the iterative method stops.
    #[arg(long, default_value_t = 1e-11)]
    pub tolerance: f64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MethodArg {
    /// Sparse LU for small tables, iterative for large ones.
    Auto,
    /// Sparse LU factorisation (faer).
    SparseLu,
    /// Dense LU factorisation.
    DenseLu,
    /// Preconditioned block BiCGSTAB (block Jacobi over regions, or Jacobi).
    Iterative,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The kind of table.
    #[arg(value_enum)]
    pub format: FormatArg,
    /// The source files or folders (see `chollima import --help`).
    #[arg(required = true)]
    pub sources: Vec<PathBuf>,
    /// The package folder to write.
    #[arg(long, short, required_unless_present = "analyze")]
    pub out: Option<PathBuf>,
    /// Also (or, without --out, only) analyse the imported economy into this folder, as
    /// `chollima analyze` does, straight from the table in memory.
    #[arg(long, value_name = "DIR")]
    pub analyze: Option<PathBuf>,
    /// With --analyze: how to analyse (the options of `chollima analyze`).
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// A `column,category` CSV mapping final-demand columns to target categories.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Supply-use tables: the technology assumption.
    #[arg(long, value_enum, default_value_t = AssumptionArg::Industry)]
    pub assumption: AssumptionArg,
    /// Employment by industry for the `labour` resource: IBGE's value_added_and_employment.csv
    /// or a WIOD Socio-Economic Accounts file (usasea.csv).
    #[arg(long)]
    pub labour: Option<PathBuf>,
    /// WIOD SEA variable to use as labour.
    #[arg(long, value_enum, default_value_t = SeaArg::Emp)]
    pub labour_variable: SeaArg,
    /// Year to take from tables that hold several (WIOD national tables, SEA).
    #[arg(long)]
    pub year: Option<i32>,
    /// Name of the economy (default: from the source).
    #[arg(long)]
    pub name: Option<String>,
    /// Matrix Market: a file of product ids, one per line (`id` or `id,name`).
    #[arg(long)]
    pub labels: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// A symmetric table: a folder with Z.csv, Y.csv and x.csv (WIOD 2013 layout).
    Iot,
    /// UK ONS input-output analytical tables.
    Ons,
    /// Make and use tables (BEA detail or summary, IBGE).
    SupplyUse,
    /// Matrix Market file holding A (optionally a second file with the demand vector).
    Mtx,
    /// A folder written by pymrio's save_all (text format).
    Pymrio,
    /// A WIOD 2016 national input-output table (e.g. usaiot.csv) for one --year.
    WiodNiot,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AssumptionArg {
    /// Industry-technology assumption: A = B D.
    Industry,
    /// Commodity-technology assumption: A = B C^-1.
    Commodity,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeaArg {
    /// Persons engaged (thousands).
    Emp,
    /// Hours worked by employees (millions).
    HEmpe,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of products.
    #[arg(long)]
    pub products: usize,
    /// Average number of inputs per technique.
    #[arg(long, default_value_t = 10)]
    pub inputs: usize,
    /// Random seed: the same seed gives the same economy.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The package folder to write.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Number of basic goods used by nearly every technique (default: about products^(1/4)).
    #[arg(long)]
    pub basic_goods: Option<usize>,
    /// Share of products with alternative techniques (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub alternatives: f64,
    /// Share of techniques with a finite capacity (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub capacities: f64,
    /// Share of products that can be traded (0..1); adds foreign exchange.
    #[arg(long, default_value_t = 0.0)]
    pub trade: f64,
    /// Plan years; more than 1 adds capital, depreciation and growing labour.
    #[arg(long, default_value_t = 1)]
    pub years: u32,
    /// Add a second primary resource, land.
    #[arg(long)]
    pub land: bool,
    /// Add priorities food, clothing, housing.
    #[arg(long)]
    pub priorities: bool,
}
