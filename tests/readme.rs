//! README.md must tell the truth about the rules: its table lists every rule
//! with its severity, layer, frameworks and summary.

use demarc::rules::RuleSet;

fn rule_table(rules: &RuleSet) -> String {
    let mut table =
        String::from("| id | severity | layer | frameworks | summary |\n|---|---|---|---|---|\n");
    for rule in &rules.rules {
        let i = &rule.info;
        let frameworks: Vec<&str> = i.frameworks.iter().map(|f| f.name()).collect();
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            i.id,
            i.severity.name(),
            i.layer.name(),
            frameworks.join(", "),
            i.summary.replace('|', "\\|")
        ));
    }
    table
}

#[test]
fn readme_rule_table_matches_the_rules() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let start_marker = "<!-- rule-table: kept in sync with rules/ by tests/readme.rs -->\n";
    let start = readme.find(start_marker).expect("rule table start marker") + start_marker.len();
    let end = readme
        .find("<!-- end rule-table -->")
        .expect("rule table end marker");
    let expected = rule_table(&RuleSet::embedded().unwrap());
    if readme[start..end] != expected {
        // Rewrite it when asked, so updating is one command.
        if std::env::var_os("DEMARC_UPDATE_README").is_some() {
            let updated = format!("{}{}{}", &readme[..start], expected, &readme[end..]);
            std::fs::write("README.md", updated).unwrap();
        }
        panic!("README.md rule table is out of date; run DEMARC_UPDATE_README=1 cargo test --test readme\nexpected:\n{expected}");
    }
}

#[test]
fn readme_commands_name_paths_that_exist() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains("cargo run --release -- scan examples/mixed"));
    assert!(std::path::Path::new("examples/mixed").is_dir());
    assert!(readme.contains("\ncargo test\n"));
}
