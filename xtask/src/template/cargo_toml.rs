//! Edits of the workspace's Cargo.toml that keep its comments and layout: each one replaces,
//! adds or removes a whole `key = value` entry of one table. The result is read back with the
//! toml crate and compared with the original table changed as intended, so an edit that would
//! say anything else is refused instead of written.

use anyhow::{Context, Result, anyhow, bail};
use toml::{Table, Value};

/// One entry of `table` (a dotted header such as `workspace.metadata.release`) set to a value,
/// or removed with `None`.
pub struct Change<'a> {
    pub table: &'a str,
    pub key: &'a str,
    pub value: Option<Value>,
}

/// `text` with every change made; entries a change adds go after the table's first entry.
pub fn edit(text: &str, changes: &[Change]) -> Result<String> {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    for change in changes {
        let (start, end) = section(&lines, change.table)?;
        let present: Vec<_> = entries(&lines[start..end]).collect::<Result<_>>()?;
        let entry = present.iter().find(|(key, ..)| key == change.key);
        let new = change.value.as_ref().map(|v| format!("{} = {}\n", change.key, inline(v)));
        match (entry, new) {
            (Some((_, a, b)), new) => {
                lines.splice(start + a..start + b, new);
            }
            (None, Some(new)) => {
                lines.insert(present.first().map_or(start, |(.., e)| start + e), new)
            }
            (None, None) => {}
        }
    }
    let edited: String = lines.concat();
    let mut expected: Table = toml::from_str(text).context("reading Cargo.toml")?;
    for change in changes {
        let table = (change.table.split('.'))
            .try_fold(&mut expected, |table, part| table.get_mut(part)?.as_table_mut())
            .with_context(|| format!("Cargo.toml has no [{}] table", change.table))?;
        match &change.value {
            Some(value) => table.insert(change.key.to_string(), value.clone()),
            None => table.remove(change.key),
        };
    }
    let got: Table = toml::from_str(&edited).context("reading the edited Cargo.toml")?;
    if got != expected {
        bail!("Cargo.toml's layout is not one this edit knows; make the changes by hand");
    }
    Ok(edited)
}

/// A value as TOML writes it inline: strings (in JSON's escapes, which TOML shares) and arrays.
fn inline(value: &Value) -> String {
    match value {
        Value::String(s) => serde_json::to_string(s).expect("a string serialises"),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Boolean(b) => b.to_string(),
        Value::Integer(i) => i.to_string(),
        other => unreachable!("no edit writes {other:?}"),
    }
}

/// The lines of `[header]`'s body: from after its header to the next header.
fn section(lines: &[String], header: &str) -> Result<(usize, usize)> {
    let wanted = format!("[{header}]");
    let start = (lines.iter().position(|l| l.trim() == wanted))
        .with_context(|| format!("Cargo.toml has no {wanted} table"))?
        + 1;
    let end = (start..lines.len())
        .find(|&end| lines[end].trim_start().starts_with('[') && !in_value(&lines[start..end]))
        .unwrap_or(lines.len());
    Ok((start, end))
}

/// The entries among `lines`, in order: each one's key and its `(start, end)` lines. One that
/// does not end is an error, and the last item.
fn entries(lines: &[String]) -> impl Iterator<Item = Result<(String, usize, usize)>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        at += lines.get(at..)?.iter().position(|l| is_key_line(l))?;
        let Some((key, len)) = entry_at(&lines[at..]) else {
            at = lines.len();
            return Some(Err(anyhow!("an entry of Cargo.toml does not end")));
        };
        at += len;
        Some(Ok((key, at - len, at)))
    })
}

/// Whether `lines` end inside a multi-line value (an array or a `"""` string).
fn in_value(lines: &[String]) -> bool {
    entries(lines).any(|entry| entry.is_err())
}

fn is_key_line(line: &str) -> bool {
    let line = line.trim_start();
    !line.is_empty() && !line.starts_with('#') && !line.starts_with('[') && line.contains('=')
}

/// The key of the entry starting `lines` and how many lines it spans: the fewest that parse.
fn entry_at(lines: &[String]) -> Option<(String, usize)> {
    let first = lines.first().filter(|l| is_key_line(l))?;
    let mut text = String::new();
    for (n, line) in lines.iter().enumerate() {
        text.push_str(line);
        if toml::from_str::<Table>(&text).is_ok() {
            // A dotted key (`a.b = 1`) parses as the table `a`; its line names it whole.
            let written = first.split('=').next()?.trim().trim_matches('"').to_string();
            return Some((written, n + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[workspace]\nmembers = [\"a\", \"xtask\"]\n\n# The policy.\n\
        [workspace.metadata.release]\n# Shipped.\npackage = \"a\"\nlong-description = \"\"\"\n\
        Line one.\n[not a header]\n\"\"\"\ninclude = [\n  \"README.md\", # ours\n  \"a/assets\",\n]\n\
        man = \"a/man\"\n\n[[workspace.metadata.release.targets]]\ntriple = \"x\"\n";

    fn change(table: &'static str, key: &'static str, value: Option<Value>) -> Change<'static> {
        Change { table, key, value }
    }

    #[test]
    fn entries_are_replaced_added_and_removed_and_comments_stay() {
        let release = "workspace.metadata.release";
        let edited = edit(
            TEXT,
            &[
                change("workspace", "members", Some(Value::Array(vec!["a".into(), "b".into()]))),
                change(release, "package", Some("b".into())),
                change(release, "long-description", None),
                change(release, "include", Some(Value::Array(vec!["b/LICENSE".into()]))),
                change(release, "binaries", Some(Value::Array(vec!["bee".into()]))),
                change(release, "man", None),
                change(release, "completions", None),
            ],
        )
        .unwrap();
        assert_eq!(
            edited,
            "[workspace]\nmembers = [\"a\", \"b\"]\n\n# The policy.\n\
             [workspace.metadata.release]\n# Shipped.\npackage = \"b\"\nbinaries = [\"bee\"]\n\
             include = [\"b/LICENSE\"]\n\n[[workspace.metadata.release.targets]]\ntriple = \"x\"\n"
        );
    }

    #[test]
    fn a_missing_table_is_refused() {
        let err = edit(TEXT, &[change("package", "name", Some("b".into()))]).unwrap_err();
        assert!(err.to_string().contains("no [package] table"), "{err}");
    }
}
