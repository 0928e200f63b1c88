//! The engine's error: what failed, and whether the user's input is to blame.

use std::path::PathBuf;

use chollima_model::Diagnostics;

/// What can go wrong in an engine job.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Package(#[from] chollima_package::PackageError),
    #[error(transparent)]
    Analysis(#[from] chollima_analysis::AnalysisError),
    #[error(transparent)]
    Import(#[from] chollima_import::ImportError),
    #[error(transparent)]
    Generate(#[from] chollima_generate::GenerateError),
    /// A problem in an input file other than a package (a demand file, say).
    #[error("{} has {} error(s)", .path.display(), .diagnostics.count(chollima_model::Severity::Error))]
    InvalidInput {
        path: PathBuf,
        diagnostics: Diagnostics,
    },
    /// A request the engine cannot honour, with what to do instead.
    #[error("{message}")]
    Refused { message: String, hint: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl EngineError {
    /// Whether the user's input (files or options) caused the failure, as opposed to the
    /// machine (a disk that cannot be written).
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            EngineError::Io { .. }
                | EngineError::Package(chollima_package::PackageError::Io { .. })
        )
    }

    /// The diagnostics behind the error, when it has a list of them.
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            EngineError::Package(chollima_package::PackageError::Invalid {
                diagnostics, ..
            })
            | EngineError::InvalidInput { diagnostics, .. } => Some(diagnostics),
            EngineError::Import(chollima_import::ImportError::Invalid(diagnostics)) => {
                Some(diagnostics)
            }
            _ => None,
        }
    }

    /// What the user can do about it, when there is something to say beyond the diagnostics.
    pub fn hint(&self) -> Option<String> {
        match self {
            EngineError::Refused { hint, .. } => Some(hint.clone()),
            EngineError::Analysis(chollima_analysis::AnalysisError::SeveralTechniques { .. }) => {
                Some("choose one technique per product, or use `chollima plan`, which chooses among techniques".into())
            }
            EngineError::Analysis(chollima_analysis::AnalysisError::NotProductive { .. }) => Some(
                "a productive table has every column of A summing below 1 once value added is counted; run `chollima validate` and check units".into(),
            ),
            _ => None,
        }
    }
}

pub(crate) fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> EngineError + '_ {
    move |source| EngineError::Io {
        path: path.to_owned(),
        source,
    }
}
