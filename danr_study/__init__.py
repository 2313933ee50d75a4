"""The Indoor study (paper tables 5 and 8, real Indoor set): N.A. vs +Aug vs +Warp, by job.

- plan: the study's options, arms, backbones, runs, settings and resume logic;
- locks, results_store: file locks between workers and the merged OUT/results.json;
- splits: the study's split files (danr_renderer.data.splits);
- renderer_prep: per-split renderer adaptation and rendering of the fit images' views;
- runs: training and testing of one run in tools/train.py / tools/test.py subprocesses;
- report: tables, results.md, the chart and the run list runs.json;
- paired, charts: seed-paired differences and pictures of a run list (docs/results.json);
- localisation: how a run's detections fit the true boxes (scripts/box_localisation.py);
- study: the whole study (run_study), cli: its command line (scripts/indoor_study.py).
"""
