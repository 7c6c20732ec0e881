//! The HTML report (`--format html`), parsed back with an HTML5 parser:
//! one self-contained page (nothing fetched), the summary, the heat map,
//! the teams, every finding with its source, and user text escaped.

use assert_cmd::Command;
use scraper::{Html, Selector};
use serde_json::Value;
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A bucket name that is markup, an open SSH rule owned by CODEOWNERS and
/// one left unowned.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(
        dir.path(),
        "storage/main.tf",
        r#"resource "aws_s3_bucket" "b" {
  bucket = "<script>alert('x')</script>"
}

resource "aws_s3_bucket_acl" "b" {
  bucket = aws_s3_bucket.b.id
  acl    = "public-read"
}
"#,
    );
    write(
        dir.path(),
        "network/main.tf",
        r#"resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = "sg-123"
}
"#,
    );
    write(dir.path(), "CODEOWNERS", "/network/ @org/network\n");
    dir
}

fn scan(dir: &Path, format: &str) -> String {
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(dir)
        .args(["scan", ".", "--fail-on", "none", "--format", format])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn text(element: &scraper::ElementRef) -> String {
    element.text().collect()
}

#[test]
fn the_page_is_self_contained_and_escapes_what_it_quotes() {
    let dir = repo();
    let page = scan(dir.path(), "html");
    let doc = Html::parse_document(&page);
    assert!(doc.errors.is_empty(), "{:?}", doc.errors);
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Nothing fetched: no external resource anywhere, one inline script.
    for css in ["link", "img", "iframe", "object", "[src]", "[srcset]"] {
        assert!(select(&doc, css).is_empty(), "{css}");
    }
    let scripts = select(&doc, "script");
    assert_eq!(scripts.len(), 1);
    assert!(!text(&scripts[0]).contains("alert"));
    let csp = select(&doc, "meta[http-equiv=Content-Security-Policy]");
    assert!(csp[0]
        .value()
        .attr("content")
        .unwrap()
        .starts_with("default-src 'none'"));
    // The bucket name is text, wherever it appears.
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    let quoted: Vec<String> = select(&doc, "article.finding pre.snippet")
        .iter()
        .map(text)
        .filter(|t| t.contains("<script>alert('x')</script>"))
        .collect();
    assert!(!quoted.is_empty(), "the snippet shows the name as text");
}

#[test]
fn the_page_has_summary_heat_map_teams_and_every_finding() {
    let dir = repo();
    let report: Value = serde_json::from_str(&scan(dir.path(), "json")).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let doc = Html::parse_document(&scan(dir.path(), "html"));

    let total = text(&select(&doc, "#summary .total strong")[0]);
    assert_eq!(total, format!("{} findings", findings.len()));

    // The heat map: a row per layer, a column per service model, with the
    // JSON summary's counts, and a shade that is 0 exactly when empty.
    let rows = select(&doc, "#matrix table.heat tbody tr");
    assert_eq!(rows.len(), 6);
    for row in rows {
        let layer = text(&select_in(&row, "th")[0]);
        let cells = select_in(&row, "td[class^=heat-]");
        assert_eq!(cells.len(), 3);
        for (cell, model) in cells.iter().zip(["iaas", "paas", "saas"]) {
            let n = &report["summary"]["matrix"][&layer][model];
            assert_eq!(text(cell), n.to_string(), "{layer}/{model}");
            let empty = cell.value().attr("class") == Some("heat-0");
            assert_eq!(empty, n == 0, "{layer}/{model}");
        }
    }

    // Teams: the CODEOWNERS team and the unowned group, with counts.
    let teams: Vec<(String, String)> = select(&doc, "#teams table tbody tr")
        .iter()
        .map(|row| {
            let cells = select_in(row, "td");
            (text(&select_in(row, "th")[0]), text(cells.last().unwrap()))
        })
        .collect();
    let unowned = report["summary"]["unowned"].as_u64().unwrap();
    assert_eq!(
        teams,
        [
            (
                "@org/network".to_string(),
                (findings.len() as u64 - unowned).to_string()
            ),
            ("unowned".to_string(), unowned.to_string())
        ]
    );
    // Each team's links point at findings on the page.
    for link in select(&doc, "#teams a") {
        let target = link.value().attr("href").unwrap();
        assert_eq!(select(&doc, target).len(), 1, "{target}");
    }

    // Every finding, in report order, with its filter data, source and fix.
    let articles = select(&doc, "article.finding");
    assert_eq!(articles.len(), findings.len());
    for (article, finding) in articles.iter().zip(findings) {
        let data = |name: &str| article.value().attr(name).unwrap().to_string();
        assert_eq!(data("data-severity"), finding["severity"].as_str().unwrap());
        assert_eq!(data("data-layer"), finding["layer"].as_str().unwrap());
        let team = match finding["unowned"].as_bool().unwrap() {
            true => "unowned".to_string(),
            false => finding["owners"][0].as_str().unwrap().to_string(),
        };
        assert_eq!(data("data-teams"), team);
        let heading = text(&select_in(article, "h3")[0]);
        assert!(
            heading.contains(finding["rule_id"].as_str().unwrap()),
            "{heading}"
        );
        let marks = select_in(article, "pre.snippet mark");
        assert_eq!(marks.len(), 1, "{heading}");
        if finding["help"].is_string() {
            assert_eq!(select_in(article, ".fix").len(), 1, "{heading}");
        }
        let place = format!(
            "{}:{}:{}",
            finding["file"].as_str().unwrap(),
            finding["start_line"],
            finding["start_column"]
        );
        assert!(text(article).contains(&place), "{place}");
    }

    // The filters: hidden until the script shows them, one per dimension.
    let form = &select(&doc, "form#filters")[0];
    assert!(form.value().attr("hidden").is_some());
    let names: Vec<&str> = select_in(form, "select")
        .iter()
        .map(|s| s.value().attr("name").unwrap())
        .collect();
    assert_eq!(names, ["severity", "layer", "team", "framework"]);
    // Every filter is a form control inside its label, for keyboard and
    // screen reader alike.
    for select in select_in(form, "select") {
        let label = select.parent().and_then(scraper::ElementRef::wrap).unwrap();
        assert_eq!(label.value().name(), "label");
        assert!(!text(&label).trim().is_empty());
    }
}

/// The framework filter: a finding matches each framework with a control
/// its rule evidences (SARIF's `framework/control` tags say which), the
/// options are those frameworks, and the card lists the controls.
#[test]
fn the_framework_filter_matches_the_frameworks_of_each_findings_rule() {
    let dir = repo();
    let sarif: Value = serde_json::from_str(&scan(dir.path(), "sarif")).unwrap();
    let frameworks_of = |rule_id: &str| -> Vec<String> {
        let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        let rule = rules.iter().find(|r| r["id"] == rule_id).unwrap();
        let mut keys: Vec<String> = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t.as_str()?.split_once('/').map(|(k, _)| k.to_string()))
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    let doc = Html::parse_document(&scan(dir.path(), "html"));
    let mut all: Vec<String> = Vec::new();
    for article in select(&doc, "article.finding") {
        let heading = text(&select_in(&article, "h3 code")[0]);
        let expected = frameworks_of(&heading);
        assert!(!expected.is_empty(), "{heading} evidences some control");
        let data = article.value().attr("data-frameworks").unwrap();
        assert_eq!(data, expected.join(" "), "{heading}");
        let facts: Vec<String> = select_in(&article, "dl.props dt")
            .iter()
            .map(text)
            .collect();
        assert!(facts.contains(&"controls".to_string()), "{heading}");
        all.extend(expected);
    }
    all.sort();
    all.dedup();
    let options: Vec<String> = select(&doc, "form#filters select[name=framework] option")
        .iter()
        .map(|o| o.value().attr("value").unwrap().to_string())
        .collect();
    let mut expected = vec![String::new()];
    expected.extend(all);
    assert_eq!(options, expected, "`all`, then each framework once");
}

#[test]
fn the_page_goes_to_a_file_with_html_equals_file() {
    let dir = repo();
    let out = Command::cargo_bin("demarc")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "scan",
            ".",
            "--format",
            "text",
            "--format",
            "html=report.html",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let page = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let doc = Html::parse_document(&page);
    assert!(!select(&doc, "article.finding").is_empty());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Summary"));
}

fn select_in<'a>(element: &scraper::ElementRef<'a>, css: &str) -> Vec<scraper::ElementRef<'a>> {
    element.select(&Selector::parse(css).unwrap()).collect()
}

#[test]
fn compliance_frameworks_asked_for_get_a_section_matching_the_json() {
    let dir = repo();
    let run = |format: &str| {
        let out = Command::cargo_bin("demarc")
            .unwrap()
            .current_dir(dir.path())
            .args([
                "scan",
                ".",
                "--fail-on",
                "none",
                "--compliance",
                "cis-aws-3.0",
                "--compliance",
                "nist-800-53",
            ])
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let json: Value = serde_json::from_str(&run("json")).unwrap();
    let html = Html::parse_document(&run("html"));
    assert!(html.errors.is_empty(), "{:?}", html.errors);
    let reports = json["compliance"].as_array().unwrap();
    assert_eq!(reports.len(), 2);
    let mut all_controls = Vec::new();
    for report in reports {
        let section = format!(
            "section#compliance-{} table.controls tbody tr",
            report["framework"].as_str().unwrap().replace('.', "\\.")
        );
        let rows = select(&html, &section);
        let controls = report["controls"].as_array().unwrap();
        assert_eq!(rows.len(), controls.len());
        // Each row: the control's id, and its state as class and text.
        for (row, control) in rows.iter().zip(controls) {
            let status = control["status"].as_str().unwrap();
            assert_eq!(
                text(&select_in(row, "th")[0]),
                control["id"].as_str().unwrap()
            );
            assert_eq!(
                row.value().attr("class"),
                Some(format!("state-{status}").as_str())
            );
            assert_eq!(
                text(&select_in(row, "td.status")[0]),
                status.replace('_', " ")
            );
            // A control no rule evidences says why.
            if let Some(reason) = control["status_reason"].as_str() {
                let rules = text(&select_in(row, "td.rules")[0]);
                assert!(rules.contains(reason), "{rules}");
            }
            // The resources examined, each with its file and line.
            let examined = control["resources_checked"].as_array().unwrap();
            let items = select_in(row, "td.examined li");
            assert_eq!(items.len(), examined.len());
            for (item, resource) in items.iter().zip(examined) {
                let place = format!(
                    "{}:{} {}",
                    resource["file"].as_str().unwrap(),
                    resource["line"],
                    resource["resource"].as_str().unwrap()
                );
                assert_eq!(text(item), place);
            }
            // The teams cell: the teams, then the findings no team answers for.
            let teams = text(&select_in(row, "td.teams")[0]);
            for team in control["owners"].as_array().unwrap() {
                assert!(teams.contains(team.as_str().unwrap()), "{teams}");
            }
            match control["unowned"].as_u64().unwrap() {
                0 => assert!(!teams.contains("unowned"), "{teams}"),
                n => assert!(teams.ends_with(&format!("{n} unowned")), "{teams}"),
            }
        }
        all_controls.extend(controls.iter().cloned());
    }
    // A finding's controls link to their rows (for the frameworks shown).
    let row_ids: Vec<&str> = select(&html, "table.controls tbody tr")
        .iter()
        .map(|r| r.value().attr("id").unwrap())
        .collect();
    let links = select(&html, "article.finding a.control");
    assert!(!links.is_empty());
    for link in links {
        let target = link.value().attr("href").unwrap();
        let target = target.strip_prefix('#').unwrap();
        assert_eq!(
            row_ids.iter().filter(|id| **id == target).count(),
            1,
            "{target}"
        );
        assert!(target.ends_with(&format!("-{}", text(&link))), "{target}");
    }
    let controls = &all_controls;
    let rows = select(&html, "table.controls tbody tr");
    // The unowned public ACL fails NIST AC-3: the page says so.
    assert!(controls.iter().any(|c| c["unowned"].as_u64() > Some(0)));
    assert!(controls.iter().any(|c| c["status"] == "fail"));
    assert!(rows
        .iter()
        .any(|r| r.value().attr("class") == Some("state-fail")));
}
