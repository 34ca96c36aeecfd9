//! `CHANGELOG.md` in the Keep a Changelog style: the section of a version is the GitHub
//! release's notes and, item by item, the packages' changelog entries.

/// The body of the `## [VERSION]` section (up to the next `## ` heading), trimmed; `None` when
/// there is no such section or it is empty.
pub fn section(text: &str, version: &str) -> Option<String> {
    let heading = format!("## [{version}]");
    let lines = text.lines().skip_while(|l| !l.starts_with(&heading)).skip(1);
    let body: Vec<&str> = lines.take_while(|l| !l.starts_with("## ")).collect();
    let body = body.join("\n").trim().to_string();
    (!body.is_empty()).then_some(body)
}

/// The items of a section: each `- ` bullet with its continuation lines joined, prefixed with
/// its `### ` subsection (`Added: ...`) when there is one.
pub fn items(section: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    let mut kind = String::new();
    for line in section.lines() {
        if let Some(heading) = line.strip_prefix("### ") {
            kind = format!("{}: ", heading.trim());
        } else if let Some(item) = line.trim_start().strip_prefix("- ") {
            items.push(format!("{kind}{}", item.trim()));
        } else if let (Some(last), false) = (items.last_mut(), line.trim().is_empty()) {
            last.push(' ');
            last.push_str(line.trim());
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Changelog\n\n## [Unreleased]\n\n## [0.2.0] - 2026-12-05\n\n### Added\n\n\
        - apt and dnf\n  repositories.\n- Signed .rpm.\n\n### Fixed\n\n- A bug.\n\n\
        ## [0.1.0] - 2026-01-01\n\n- First.\n";

    #[test]
    fn a_versions_section_ends_at_the_next_heading_and_its_items_carry_their_kind() {
        let notes = section(TEXT, "0.2.0").unwrap();
        assert!(notes.starts_with("### Added\n\n- apt and dnf\n"), "{notes}");
        assert!(notes.ends_with("- A bug."), "{notes}");
        assert_eq!(
            items(&notes),
            ["Added: apt and dnf repositories.", "Added: Signed .rpm.", "Fixed: A bug."]
        );
        assert_eq!(items(&section(TEXT, "0.1.0").unwrap()), ["First."]);
        assert_eq!(section(TEXT, "0.1"), None);
        assert_eq!(section(TEXT, "Unreleased"), None);
    }
}
