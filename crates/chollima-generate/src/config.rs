//! Generator settings ([`GenerateConfig`]) and the errors for settings that make no economy
//! ([`GenerateError`]).

use thiserror::Error;

/// The most products a generated economy may have: every technique index (up to three per
/// product) must fit in a `u32`.
pub const MAX_PRODUCTS: usize = (u32::MAX / 3) as usize;

/// What [`generate`](crate::generate) makes.
///
/// Shares are fractions in `0.0..=1.0`. Start from [`GenerateConfig::default`] and set what you
/// need:
///
/// ```
/// use chollima_generate::GenerateConfig;
/// let config = GenerateConfig { products: 10_000, inputs: 12, trade: 0.1, ..Default::default() };
/// assert_eq!(config.years, 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateConfig {
    /// Number of products; each gets one primary technique (`t<i>` makes `p<i>`).
    pub products: usize,
    /// Average number of input coefficients per technique (each varies by about a third around
    /// it). Must be below `products`; 0 gives an economy without inputs.
    pub inputs: usize,
    /// Seed of every random draw: the same config gives the same economy, bit for bit.
    pub seed: u64,
    /// Number of basic goods (`p0`, `p1`, ...: energy, transport, steel, ...) that nearly every
    /// technique uses. `None`: `products^(1/4)` rounded, clamped to `3..=20`, at most half the
    /// products.
    pub basic_goods: Option<usize>,
    /// Share of products with a second technique (`t<i>b`); a third of those also get a third
    /// one (`t<i>c`, with output 2 per unit of activity).
    pub alternatives: f64,
    /// Share of techniques with a finite capacity.
    pub capacities: f64,
    /// Share of products that can be imported and/or exported; when positive the manifest gets a
    /// `foreign_exchange` resource.
    pub trade: f64,
    /// Plan years; above 1 the economy gets `[plan] years`, depreciation, capital coefficients,
    /// per-year targets and labour growing 2 % a year.
    pub years: u32,
    /// Adds a `land` resource, used by about a fifth of the techniques.
    pub land: bool,
    /// Adds `[plan] priorities = ["food", "clothing", "housing"]`.
    pub priorities: bool,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        GenerateConfig {
            products: 1000,
            inputs: 10,
            seed: 0,
            basic_goods: None,
            alternatives: 0.0,
            capacities: 0.0,
            trade: 0.0,
            years: 1,
            land: false,
            priorities: false,
        }
    }
}

/// Why a [`GenerateConfig`] cannot be generated.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GenerateError {
    #[error("an economy needs at least one product")]
    NoProducts,
    #[error("{products} products is more than the {max} a generated economy may have")]
    TooManyProducts { products: usize, max: usize },
    #[error(
        "{inputs} inputs per technique needs more than {products} products (inputs < products)"
    )]
    TooManyInputs { inputs: usize, products: usize },
    #[error("{basic_goods} basic goods is more than the {products} products")]
    TooManyBasicGoods { basic_goods: usize, products: usize },
    #[error("the share `{name}` is {value}; shares lie in 0..=1")]
    ShareOutOfRange { name: &'static str, value: f64 },
    #[error("a plan needs at least one year")]
    NoYears,
}

impl GenerateConfig {
    /// Checks the settings; [`generate`](crate::generate) calls this first.
    pub fn validate(&self) -> Result<(), GenerateError> {
        let products = self.products;
        if products == 0 {
            return Err(GenerateError::NoProducts);
        }
        if products > MAX_PRODUCTS {
            return Err(GenerateError::TooManyProducts {
                products,
                max: MAX_PRODUCTS,
            });
        }
        if self.inputs >= products {
            return Err(GenerateError::TooManyInputs {
                inputs: self.inputs,
                products,
            });
        }
        if let Some(basic_goods) = self.basic_goods.filter(|&b| b > products) {
            return Err(GenerateError::TooManyBasicGoods {
                basic_goods,
                products,
            });
        }
        for (name, value) in [
            ("alternatives", self.alternatives),
            ("capacities", self.capacities),
            ("trade", self.trade),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(GenerateError::ShareOutOfRange { name, value });
            }
        }
        if self.years == 0 {
            return Err(GenerateError::NoYears);
        }
        Ok(())
    }

    /// The number of basic goods this config gives (its own or the default).
    pub fn basic_goods_count(&self) -> usize {
        self.basic_goods
            .unwrap_or_else(|| default_basic_goods(self.products))
    }
}

/// `products^(1/4)` rounded, clamped to `3..=20`, at most half the products.
pub fn default_basic_goods(products: usize) -> usize {
    let fourth_root = (products as f64).powf(0.25).round() as usize;
    fourth_root.clamp(3, 20).min(products / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(products: usize, inputs: usize) -> GenerateConfig {
        GenerateConfig {
            products,
            inputs,
            ..GenerateConfig::default()
        }
    }

    #[test]
    fn bad_configs_are_refused_with_the_reason() {
        assert_eq!(config(0, 0).validate(), Err(GenerateError::NoProducts));
        assert_eq!(
            config(5, 5).validate(),
            Err(GenerateError::TooManyInputs {
                inputs: 5,
                products: 5
            })
        );
        let c = GenerateConfig {
            basic_goods: Some(6),
            ..config(5, 2)
        };
        assert_eq!(
            c.validate(),
            Err(GenerateError::TooManyBasicGoods {
                basic_goods: 6,
                products: 5
            })
        );
        let c = GenerateConfig {
            trade: 1.5,
            ..config(5, 2)
        };
        assert_eq!(
            c.validate(),
            Err(GenerateError::ShareOutOfRange {
                name: "trade",
                value: 1.5
            })
        );
        let c = GenerateConfig {
            alternatives: f64::NAN,
            ..config(5, 2)
        };
        assert!(matches!(
            c.validate(),
            Err(GenerateError::ShareOutOfRange {
                name: "alternatives",
                ..
            })
        ));
        let c = GenerateConfig {
            capacities: -0.1,
            ..config(5, 2)
        };
        assert!(matches!(
            c.validate(),
            Err(GenerateError::ShareOutOfRange {
                name: "capacities",
                ..
            })
        ));
        let c = GenerateConfig {
            years: 0,
            ..config(5, 2)
        };
        assert_eq!(c.validate(), Err(GenerateError::NoYears));
        let c = config(MAX_PRODUCTS + 1, 2);
        assert!(matches!(
            c.validate(),
            Err(GenerateError::TooManyProducts { .. })
        ));
        assert_eq!(config(1, 0).validate(), Ok(()));
        assert_eq!(GenerateConfig::default().validate(), Ok(()));
    }

    #[test]
    fn default_basic_goods_grow_slowly_and_stay_few() {
        assert_eq!(default_basic_goods(1), 0);
        assert_eq!(default_basic_goods(4), 2);
        assert_eq!(default_basic_goods(100), 3);
        assert_eq!(default_basic_goods(10_000), 10);
        assert_eq!(default_basic_goods(1_000_000), 20);
        assert_eq!(default_basic_goods(10_000_000), 20);
    }
}
