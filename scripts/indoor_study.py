#!/usr/bin/env python
"""The Indoor study (paper tables 5 and 8): N.A. vs +Aug vs +Warp on the real Indoor set.

    python scripts/indoor_study.py --data-root ../shared/data/indoor_objects --out work_dirs/study

Options and the pipeline: --help, or danr_study.cli (the study is the package danr_study).
"""
import sys

from danr_study.cli import main

if __name__ == '__main__':
    sys.exit(main())
