//! `economy.toml`: the manifest (name, unit, resources, plan settings), read and written.

use std::fmt::Write as _;
use std::path::Path;

use chollima_model::{Diagnostics, Location, Manifest, PlanSettings, Resource, ResourceAmount};
use toml::Value;

use crate::table::read_bytes;

/// Finds the line and column of `key = ...` inside `[section]` (or at the top when `None`), for
/// locating problems in values the TOML parser accepted.
fn locate(text: &str, section: Option<&str>, key: &str) -> (usize, usize) {
    let mut current: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix('[') {
            current = rest.split(']').next().map(|s| s.trim().to_owned());
            continue;
        }
        let in_section = current.as_deref() == section;
        let key_part = trimmed
            .split('=')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        if in_section && trimmed.contains('=') && key_part == key {
            return (i + 1, line.len() - trimmed.len() + 1);
        }
    }
    (1, 1)
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// Reads `economy.toml`; `None` when it is missing or cannot be parsed at all.
pub(crate) fn read(path: &Path, diags: &mut Diagnostics) -> Option<Manifest> {
    let bytes = read_bytes(path, true, diags)?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        diags
            .error(Location::file(path), "text is not valid UTF-8")
            .hint("save economy.toml as UTF-8");
        return None;
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| line_column(text, span.start));
            diags
                .error(
                    Location::at(path, line, column),
                    format!("not valid TOML: {}", e.message()),
                )
                .hint("see FORMAT.md for an example economy.toml");
            return None;
        }
    };
    let at = |section: Option<&str>, key: &str| {
        let (line, column) = locate(text, section, key);
        Location::at(path, line, column)
    };
    let mut manifest = Manifest::named("");
    match table.get("format") {
        Some(Value::Integer(1)) => {}
        Some(other) => {
            diags.error(
                at(None, "format"),
                format!("format is {other}; this chollima reads format 1"),
            );
        }
        None => {
            diags
                .error(Location::line(path, 1), "missing `format = 1`")
                .hint(
                    "put `format = 1` on the first line: it marks the file as an economy package",
                );
        }
    }
    match table.get("name") {
        Some(Value::String(s)) => manifest.name = s.clone(),
        Some(_) => {
            diags.error(at(None, "name"), "`name` must be a string");
        }
        None => {
            diags.warning(
                Location::file(path),
                "no `name`; reports will show an empty name",
            );
        }
    }
    match table.get("unit") {
        Some(Value::String(s)) => manifest.unit = Some(s.clone()),
        Some(_) => {
            diags.error(at(None, "unit"), "`unit` must be a string");
        }
        None => {}
    }
    match table.get("base_year") {
        Some(Value::Integer(y)) => manifest.base_year = Some(*y),
        Some(_) => {
            diags.error(at(None, "base_year"), "`base_year` must be an integer year");
        }
        None => {}
    }
    let plan = table.get("plan").map(|v| read_plan(v, &at, diags));
    let years = plan.as_ref().map_or(1, |p: &PlanSettings| p.years);
    manifest.plan = plan;
    match table.get("resources") {
        Some(Value::Table(resources)) => {
            for (name, value) in resources {
                if let Some(amount) = read_amount(name, value, years, &at, diags) {
                    manifest.resources.push(Resource {
                        name: name.clone(),
                        amount,
                    });
                }
            }
        }
        Some(_) => {
            diags.error(
                at(None, "resources"),
                "`resources` must be a table: [resources]",
            );
        }
        None => {}
    }
    for key in table.keys() {
        if !["format", "name", "unit", "base_year", "resources", "plan"].contains(&key.as_str()) {
            diags
                .warning(at(None, key), format!("unknown key `{key}` is ignored"))
                .hint("format 1 knows format, name, unit, base_year, [resources] and [plan]");
        }
    }
    Some(manifest)
}

fn read_amount(
    name: &str,
    value: &Value,
    years: u32,
    at: &impl Fn(Option<&str>, &str) -> Location,
    diags: &mut Diagnostics,
) -> Option<ResourceAmount> {
    let location = || at(Some("resources"), name);
    let check = |v: f64, diags: &mut Diagnostics| {
        if v >= 0.0 && v.is_finite() {
            Some(v)
        } else {
            diags.error(
                location(),
                format!("resource `{name}` has amount {v}; amounts are 0 or more"),
            );
            None
        }
    };
    match value {
        Value::Array(items) => {
            let mut amounts = Vec::with_capacity(items.len());
            for item in items {
                match number(item) {
                    Some(v) => amounts.push(check(v, diags)?),
                    None => {
                        diags.error(
                            location(),
                            format!("resource `{name}`: `{item}` is not a number"),
                        );
                        return None;
                    }
                }
            }
            if amounts.len() != years as usize {
                diags
                    .error(
                        location(),
                        format!(
                            "resource `{name}` lists {} amounts but the plan has {years} years",
                            amounts.len()
                        ),
                    )
                    .hint("give one number per plan year, or a single number for every year");
                return None;
            }
            Some(ResourceAmount::PerYear(amounts))
        }
        other => match number(other) {
            Some(v) => check(v, diags).map(ResourceAmount::Constant),
            None => {
                diags
                    .error(
                        location(),
                        format!("resource `{name}` = {other} is not a number"),
                    )
                    .hint("write `name = amount` or `name = [amount per year, ...]`");
                None
            }
        },
    }
}

fn read_plan(
    value: &Value,
    at: &impl Fn(Option<&str>, &str) -> Location,
    diags: &mut Diagnostics,
) -> PlanSettings {
    let mut plan = PlanSettings::default();
    let Value::Table(table) = value else {
        diags.error(at(None, "plan"), "`plan` must be a table: [plan]");
        return plan;
    };
    let loc = |key: &str| at(Some("plan"), key);
    match table.get("years") {
        Some(Value::Integer(y)) if (1..=1000).contains(y) => plan.years = *y as u32,
        Some(other) => {
            diags.error(
                loc("years"),
                format!("`years` = {other}; it must be a whole number 1..1000"),
            );
        }
        None => {}
    }
    match table.get("priorities") {
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) if !plan.priorities.contains(s) => {
                        plan.priorities.push(s.clone())
                    }
                    Value::String(s) => {
                        diags.error(loc("priorities"), format!("priority `{s}` is listed twice"));
                    }
                    other => {
                        diags.error(
                            loc("priorities"),
                            format!("priority {other} must be a string"),
                        );
                    }
                }
            }
        }
        Some(_) => {
            diags.error(
                loc("priorities"),
                "`priorities` must be a list of category names",
            );
        }
        None => {}
    }
    match table.get("floor").map(number) {
        Some(Some(f)) if f.is_finite() && f >= 0.0 => plan.floor = f,
        Some(_) => {
            diags.error(loc("floor"), "`floor` must be a number, 0 or more");
        }
        None => {}
    }
    for key in table.keys() {
        if !["years", "priorities", "floor"].contains(&key.as_str()) {
            diags.warning(loc(key), format!("unknown plan setting `{key}` is ignored"));
        }
    }
    plan
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Renders a manifest as TOML.
pub(crate) fn render(manifest: &Manifest) -> String {
    let mut out = String::new();
    let quote = |s: &str| Value::String(s.to_owned()).to_string();
    let _ = writeln!(out, "format = {}", manifest.format);
    let _ = writeln!(out, "name = {}", quote(&manifest.name));
    if let Some(unit) = &manifest.unit {
        let _ = writeln!(out, "unit = {}", quote(unit));
    }
    if let Some(year) = manifest.base_year {
        let _ = writeln!(out, "base_year = {year}");
    }
    if !manifest.resources.is_empty() {
        out.push_str("\n[resources]\n");
        for r in &manifest.resources {
            let key = toml_key(&r.name);
            match &r.amount {
                ResourceAmount::Constant(v) => {
                    let _ = writeln!(out, "{key} = {}", float(*v));
                }
                ResourceAmount::PerYear(values) => {
                    let list: Vec<String> = values.iter().map(|v| float(*v)).collect();
                    let _ = writeln!(out, "{key} = [{}]", list.join(", "));
                }
            }
        }
    }
    if let Some(plan) = &manifest.plan {
        out.push_str("\n[plan]\n");
        let _ = writeln!(out, "years = {}", plan.years);
        if !plan.priorities.is_empty() {
            let list: Vec<String> = plan.priorities.iter().map(|p| quote(p)).collect();
            let _ = writeln!(out, "priorities = [{}]", list.join(", "));
        }
        let _ = writeln!(out, "floor = {}", float(plan.floor));
    }
    out
}

/// A float as TOML accepts it (always with a `.` or an exponent).
fn float(v: f64) -> String {
    Value::Float(v).to_string()
}

fn toml_key(name: &str) -> String {
    if !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        name.to_owned()
    } else {
        Value::String(name.to_owned()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_keys_inside_their_section() {
        let text = "format = 1\n[resources]\nlabour = 5\n[plan]\nyears = 2\n";
        assert_eq!(locate(text, Some("resources"), "labour"), (3, 1));
        assert_eq!(locate(text, Some("plan"), "years"), (5, 1));
        assert_eq!(locate(text, None, "format"), (1, 1));
    }

    #[test]
    fn render_round_trips_through_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest::named("Test \"economy\"");
        m.unit = Some("value".into());
        m.base_year = Some(2011);
        m.resources.push(Resource {
            name: "labour".into(),
            amount: ResourceAmount::Constant(1e9),
        });
        m.resources.push(Resource {
            name: "land area".into(),
            amount: ResourceAmount::PerYear(vec![1.0, 2.5]),
        });
        m.plan = Some(PlanSettings {
            years: 2,
            priorities: vec!["food".into()],
            floor: 0.5,
        });
        let path = dir.path().join("economy.toml");
        std::fs::write(&path, render(&m)).unwrap();
        let mut diags = Diagnostics::new();
        let back = read(&path, &mut diags).unwrap();
        assert!(diags.is_empty(), "{diags}");
        assert_eq!(back, m);
    }
}
