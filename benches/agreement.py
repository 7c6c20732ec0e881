#!/usr/bin/env python3
"""Agreement between demarc and Checkov on one corpus, per Checkov check.

    benches/agreement.py CORPUS_DIR OUT_DIR [--checkov PATH] [--demarc PATH]

Runs demarc (JSON) and Checkov (JSON, only the Checkov checks demarc's rules
name as aliases) over CORPUS_DIR, then pairs their results by (file,
resource). A Checkov failure is *matched* when demarc reports the aliasing
rule on the same resource. For each check it prints Checkov's failures, how
many demarc matched (recall) and demarc's findings Checkov did not fail,
split into those Checkov *passed* (a real disagreement to explain) and those
on resources Checkov did not evaluate with that check (a resource type or
shape it does not read). OUT_DIR keeps both tools' raw outputs and
`disagreements.tsv`, one row per unmatched result, for explaining each one.

Corpora (terragoat, cfngoat, the KICS query samples) are fetched outside the
repository; this script only reads them.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys


def demarc_findings(demarc, corpus, out):
    path = os.path.join(out, "demarc.json")
    with open(path, "w") as f:
        subprocess.run(
            [demarc, "scan", corpus, "--format", "json", "--fail-on", "none",
             "--no-suppressions", "--quiet"],
            stdout=f, stderr=subprocess.DEVNULL, check=False)
    with open(path) as f:
        return json.load(f)


def rules_by_alias(demarc):
    rules = json.loads(subprocess.run([demarc, "rules", "--json"], capture_output=True,
                                      check=True).stdout)
    by_alias = collections.defaultdict(set)
    for rule in rules:
        for alias in rule["aliases"]:
            if alias.startswith("CKV"):
                by_alias[alias].add(rule["id"])
    return by_alias


def checkov_results(checkov, corpus, checks, out):
    path = os.path.join(out, "checkov.json")
    with open(path, "w") as f:
        subprocess.run(
            [checkov, "-d", corpus, "-o", "json", "--compact", "--skip-download",
             "--framework", "terraform", "cloudformation", "--check", ",".join(sorted(checks))],
            stdout=f, stderr=subprocess.DEVNULL, check=False)
    with open(path) as f:
        data = json.load(f)
    return data if isinstance(data, list) else [data]


# Count and for_each keys, module prefixes and CloudFormation type prefixes
# differ between the two tools' resource names; the type-and-name (or the
# logical id) identifies a resource within one file.
INDEX = re.compile(r"\[[^\]]*\]")


def resource_key(name):
    name = INDEX.sub("", name)
    if name.startswith("AWS::") or name.startswith("Alexa::"):
        return name.rsplit(".", 1)[-1]
    parts = name.split(".")
    while len(parts) > 2 and parts[0] == "module":
        parts = parts[2:]
    return ".".join(parts[-2:])


def file_key(corpus, path):
    """The path relative to the corpus: demarc prints paths as given (absolute
    for an absolute corpus), Checkov relative to -d with a leading slash."""
    root = os.path.abspath(corpus)
    if not path.startswith(root + os.sep):
        path = os.path.join(root, path.lstrip("/"))
    return os.path.relpath(path, root)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus")
    parser.add_argument("out")
    parser.add_argument("--checkov", default="checkov")
    parser.add_argument("--demarc", default="target/release/demarc")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    by_alias = rules_by_alias(args.demarc)
    report = demarc_findings(args.demarc, args.corpus, args.out)
    flagged = collections.defaultdict(set)  # rule -> {(file, resource)}
    demarc_rows = collections.defaultdict(list)
    for finding in report["findings"]:
        key = (file_key(args.corpus, finding["file"]), resource_key(finding["resource"]))
        flagged[finding["rule_id"]].add(key)
        demarc_rows[finding["rule_id"]].append((key, finding["start_line"]))

    failed = collections.defaultdict(set)  # check -> {(file, resource)}
    passed = collections.defaultdict(set)
    lines = {}
    for part in checkov_results(args.checkov, args.corpus, by_alias, args.out):
        results = part.get("results", {})
        for kind, into in (("failed_checks", failed), ("passed_checks", passed)):
            for check in results.get(kind, []):
                key = (file_key(args.corpus, check["file_path"]), resource_key(check["resource"]))
                into[check["check_id"]].add(key)
                lines[(check["check_id"], key)] = (check.get("file_line_range") or [0])[0]

    recall_rows = []
    totals = collections.Counter()
    with open(os.path.join(args.out, "disagreements.tsv"), "w") as tsv:
        tsv.write("check\trule\tkind\tfile\tresource\tline\n")
        # Recall: each Checkov failure, matched when the aliasing rule flags
        # the same resource.
        for check in sorted(by_alias, key=lambda c: (re.sub(r"\d", "", c), int(re.sub(r"\D", "", c) or 0))):
            rules = by_alias[check]
            ours = set().union(*(flagged[r] for r in rules))
            theirs = failed[check]
            if not theirs:
                continue
            for key in sorted(theirs - ours):
                tsv.write(f"{check}\t{'/'.join(sorted(rules))}\tdemarc-missed\t{key[0]}\t{key[1]}\t{lines.get((check, key), 0)}\n")
            recall_rows.append((check, "/".join(sorted(rules)), len(theirs), len(theirs & ours)))
            totals.update(failed=len(theirs), matched=len(theirs & ours))
        # Precision side: each resource demarc flags that no aliased check
        # failed, split by whether Checkov passed it or never evaluated it.
        checks_of = collections.defaultdict(set)
        for check, rules in by_alias.items():
            for rule in rules:
                checks_of[rule].add(check)
        extra_rows = []
        for rule in sorted(flagged):
            checks = checks_of.get(rule, set())
            if not checks:
                continue
            theirs = set().union(*(failed[c] for c in checks))
            seen = set().union(*(passed[c] for c in checks))
            extra = flagged[rule] - theirs
            for key in sorted(extra):
                kind = "checkov-passed" if key in seen else "checkov-unseen"
                line = min((l for k, l in demarc_rows[rule] if k == key), default=0)
                tsv.write(f"-\t{rule}\t{kind}\t{key[0]}\t{key[1]}\t{line}\n")
            if extra:
                extra_rows.append((rule, len(flagged[rule]), len(extra & seen), len(extra - seen)))
                totals.update(passed=len(extra & seen), unseen=len(extra - seen))

    print("| Checkov check | demarc rule | Checkov failed | demarc matched | recall |")
    print("|---|---|---:|---:|---:|")
    for check, rules, theirs, matched in recall_rows:
        print(f"| {check} | {rules} | {theirs} | {matched} | {matched / theirs:.0%} |")
    recall = totals["matched"] / totals["failed"] if totals["failed"] else 0
    print(f"| **all** | | {totals['failed']} | {totals['matched']} | {recall:.0%} |")
    print()
    print("| demarc rule | resources flagged | of them Checkov passed | of them Checkov did not evaluate |")
    print("|---|---:|---:|---:|")
    for rule, count, extra_passed, extra_unseen in extra_rows:
        print(f"| {rule} | {count} | {extra_passed} | {extra_unseen} |")
    print(f"| **all** | | {totals['passed']} | {totals['unseen']} |")
    print(f"\n{len(report['findings'])} demarc findings, {len(report.get('errors', []))} errors; "
          f"raw outputs and disagreements.tsv in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
