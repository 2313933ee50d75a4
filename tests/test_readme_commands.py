"""Every `python tools/<tool>.py ...` command in the README's shell blocks names a tool that
exists and only options that tool's --help lists, so the commands run as written."""
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _readme_tool_commands() -> list[tuple[str, list[str]]]:
    """(tool path, options) per README command line; continuation lines are joined."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            match = re.search(r"python (tools/\w+\.py)(.*)", line.split("#")[0])
            if match:
                commands.append((match.group(1), re.findall(r"(?<![\w-])(--[a-z][\w-]*)", match.group(2))))
    return commands


COMMANDS = _readme_tool_commands()


def test_the_readme_has_tool_commands():
    assert len(COMMANDS) >= 8 and {"tools/augment_dataset.py", "tools/train.py"} <= {c[0] for c in COMMANDS}


@pytest.mark.parametrize("tool, options", COMMANDS, ids=[f"{c[0]}:{i}" for i, c in enumerate(COMMANDS)])
def test_readme_command_uses_only_options_the_tool_has(tool, options, run_tool):
    assert (REPO / tool).is_file(), f"README names {tool}, which does not exist"
    help_text = run_tool(tool, "--help").stdout
    missing = [option for option in options if not re.search(rf"(?<![\w-]){re.escape(option)}\b", help_text)]
    assert not missing, f"README runs {tool} with {missing}, which its --help does not list"
