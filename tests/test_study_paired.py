"""Seed-paired differences between the study's arms (danr_study.paired, scripts/study_pairs.py)
and the charts of a run list (danr_study.charts) on hand-made run lists whose differences and
means are computed by hand below."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from danr_study.charts import plot_arm_bars, plot_holdout_curves
from danr_study.errors import StudyError
from danr_study.paired import comparison_group, format_paired_table, paired_differences, read_run_list
from danr_study.plan import half_range
from danr_study.report import merge_run_lists

REPO = Path(__file__).resolve().parents[1]
RECIPE_C = dict(backbone_lr_mult=1.0, warmup_iters=100, lr_steps=[0.4], lr_gamma=0.1)
FIRST_RECIPE = dict(backbone_lr_mult=1.0, warmup_iters=0, lr_steps=[0.75, 0.9166667], lr_gamma=0.5)


def run(arm, seed, ap, protocol='sequence', iterations=4800, recipe=RECIPE_C, ap50=None):
    return dict(backbone='effnet', protocol=protocol, split='1/9', arm=arm, seed=seed,
                iterations=iterations, AP=ap, AP50=ap50, AP75=None, AP_S=None, AP_M=None,
                AP_L=None, best_holdout_iter=iterations, recipe=recipe)


def test_differences_pair_seeds_within_a_comparable_group():
    runs = [run('na', 0, 20.0), run('na', 1, 22.0), run('na', 2, 21.0),
            run('aug', 2, 25.0), run('aug', 0, 23.0), run('aug', 1, 21.0),
            run('aug', 3, 40.0),                      # no N.A. of seed 3: left out
            run('na', 0, 5.0, iterations=600, recipe=FIRST_RECIPE),  # another group
            run('aug', 0, 4.0, iterations=600, recipe=FIRST_RECIPE),
            run('aug', 1, 9.0, recipe=dict(RECIPE_C, lr_gamma=0.5))]  # another recipe: alone
    long, short = sorted(paired_differences(runs, 'aug', 'na'), key=lambda p: -p.group[3])
    # Seeds 0, 1, 2: 23 - 20, 21 - 22, 25 - 21.
    assert long.seeds == (0, 1, 2) and long.differences == (3.0, -1.0, 4.0)
    assert long.mean == pytest.approx(2.0) and long.spread == pytest.approx(2.5)
    assert short.seeds == (0,) and short.differences == (-1.0,) and short.spread is None
    assert paired_differences(runs, 'aug', 'warp') == []


def test_runs_without_the_metric_are_not_paired_and_duplicates_are_refused():
    runs = [run('na', 0, 20.0, ap50=None), run('aug', 0, 21.0, ap50=50.0)]
    assert paired_differences(runs, 'aug', 'na', metric='AP50') == []
    with pytest.raises(StudyError, match='two runs of na seed 0'):
        paired_differences(runs + [run('na', 0, 19.0)], 'aug', 'na')
    # Runs of one arm and seed whose views came from different renderers: the message says so.
    older, newer = run('warp', 0, 18.0), run('warp', 0, 19.0)
    older['renderer'], newer['renderer'] = {'checkpoint': 'a.pth'}, {'checkpoint': 'b.pth'}
    with pytest.raises(StudyError, match=r"two runs of warp seed 0 .*views from \{'checkpoint': 'a.pth'\} "
                       r"and from \{'checkpoint': 'b.pth'\}"):
        paired_differences([older, newer], 'warp', 'na')


def test_half_range():
    assert half_range([3.0, -1.0, 4.0]) == 2.5 and half_range([7.0]) is None


def test_table_says_whether_the_mean_exceeds_every_spread():
    runs = [run('na', 0, 20.0), run('na', 1, 22.0), run('aug', 0, 26.0), run('aug', 1, 27.0),
            run('warp', 0, 25.0), run('warp', 1, 28.0)]
    lines = format_paired_table(runs).splitlines()
    # +Aug − N.A.: +6, +5 -> mean +5.5, spread 0.5; arm spreads 0.5 (aug) and 1.0 (N.A.).
    assert lines[2] == ('| effnet | sequence | 1/9 | 4800 | lr x0.1 at 0.4; warm-up 100 | '
                        '+Aug − N.A. | 0 1 | +6.0 +5.0 | +5.5 | 0.5 | 0.5 / 1.0 | yes |')
    # +Aug − +Warp: +1, -1 -> mean 0, spread 1: not beyond.
    assert lines[3].endswith('| +Aug − +Warp | 0 1 | +1.0 -1.0 | +0.0 | 1.0 | 0.5 / 1.5 | no |')
    assert lines[4].startswith('| effnet | sequence | 1/9 | 4800 | lr x0.1 at 0.4; warm-up 100 | '
                               '+Warp − N.A. | 0 1 | +5.0 +6.0 |')
    assert len(lines) == 5


def test_cli_reads_a_run_list_and_names_a_bad_file(tmp_path):
    good = tmp_path / 'runs.json'
    good.write_text(json.dumps([run('na', 0, 20.0), run('warp', 0, 11.0)]))
    script = [sys.executable, str(REPO / 'scripts' / 'study_pairs.py')]
    done = subprocess.run(script + [str(good)], capture_output=True, text=True, check=True)
    assert '| +Warp − N.A. | 0 | -9.0 | -9.0 | – | – / – |  |' in done.stdout
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps([{'backbone': 'effnet', 'arm': 'na'}]))
    failed = subprocess.run(script + [str(bad)], capture_output=True, text=True)
    assert failed.returncode == 1
    assert f'{bad}: run 0 lacks protocol, split, seed, iterations, recipe' in failed.stderr
    with pytest.raises(StudyError, match='cannot read the run list'):
        read_run_list(tmp_path / 'missing.json')


def test_merging_appends_new_runs_and_refuses_changed_numbers():
    published = [run('na', 0, 20.0), run('aug', 0, 21.0)]
    other_renderer = dict(run('aug', 0, 19.0), renderer={'checkpoint': 'b.pth'})
    merged, added = merge_run_lists(published, [run('aug', 0, 21.0), run('warp', 0, 18.0),
                                                other_renderer, run('warp', 0, 18.0)])
    # The same aug run is known; the warp run and the aug run of another renderer are new
    # (once each), appended in the finished list's order.
    assert added == 2 and merged == published + [run('warp', 0, 18.0), other_renderer]
    with pytest.raises(StudyError, match='sequence 1/9 na seed 0 .4800 iterations. is already'):
        merge_run_lists(published, [run('na', 0, 20.5)])


def study_results_record(arm, seed, ap):
    """A finished run as a study folder's results.json holds it (danr_study.runs)."""
    return dict(backbone='effnet', protocol='sequence', split='1of9', arm=arm, seed=seed,
                settings=dict(iters=4800, **RECIPE_C, renderer=None),
                metrics=dict(AP=ap, AP50=2 * ap, AP75=ap / 2, AP_S=1.0, AP_M=2.0, AP_L=3.0),
                best_iter=4800, holdout_curve=[[4800, 50.0]])


def test_cli_adds_a_study_folders_finished_runs_to_the_run_list(tmp_path):
    runs = tmp_path / 'results.json'
    runs.write_text(json.dumps([dict(run('na', 0, 20.0), AP50=40.0, AP75=10.0, AP_S=1.0,
                                     AP_M=2.0, AP_L=3.0, holdout_curve=[[4800, 50.0]],
                                     renderer=None)]))
    study = tmp_path / 'study_results.json'
    study.write_text(json.dumps({'runs': {'a': study_results_record('na', 0, 20.0),
                                          'b': study_results_record('warp', 0, 18.0)}}))
    script = [sys.executable, str(REPO / 'scripts' / 'study_pairs.py'), str(runs), '--add', str(study)]
    done = subprocess.run(script, capture_output=True, text=True, check=True)
    assert f'{study}: 1 run(s) added to {runs}' in done.stdout
    assert '| +Warp − N.A. | 0 | -2.0 | -2.0 |' in done.stdout
    assert [(r['arm'], r['AP']) for r in read_run_list(runs)] == [('na', 20.0), ('warp', 18.0)]
    assert len(runs.read_text().splitlines()) == 4  # one run a line
    study.write_text('{"runs": ')  # cut short
    failed = subprocess.run(script, capture_output=True, text=True)
    assert failed.returncode == 1 and f"{study}: cannot read the study's results" in failed.stderr


def test_holdout_curves_draw_a_panel_per_group_with_curves(tmp_path):
    curved = [dict(run('na', 0, 20.0), holdout_curve=[[400, 10.0], [800, 15.0]]),
              dict(run('aug', 0, 21.0), holdout_curve=[[400, 12.0], [800, 14.0]]),
              dict(run('na', 0, 5.0, iterations=600, recipe=FIRST_RECIPE),
                   holdout_curve=[[300, 2.0], [600, 4.0]])]
    png = tmp_path / 'curves.png'
    assert plot_holdout_curves(curved + [run('warp', 0, 19.0)], png) == 2
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    none = tmp_path / 'none.png'
    assert plot_holdout_curves([run('na', 0, 20.0)], none) == 0 and not none.exists()


def test_arm_bars_are_means_over_seeds_of_groups_with_two_arms(tmp_path):
    runs = [run('na', 0, 20.0, ap50=40.0), run('na', 1, 23.0, ap50=None), run('aug', 1, 21.0, ap50=50.0),
            run('aug', 0, 25.0, ap50=46.0), run('warp', 0, 19.0, ap50=45.0),
            run('na', 0, 5.0, iterations=600, recipe=FIRST_RECIPE)]  # one arm alone: no cluster
    png = tmp_path / 'bars.png'
    bars = plot_arm_bars(runs, png, metrics=('AP', 'AP50'))
    group = comparison_group(runs[0])
    # AP: N.A. (20 + 23) / 2, +Aug (25 + 21) / 2 in seed order, +Warp 19; AP50 leaves N.A.
    # seed 1 out (no value).
    assert bars == [(group, 'na', 'AP', 21.5, (20.0, 23.0)), (group, 'aug', 'AP', 23.0, (25.0, 21.0)),
                    (group, 'warp', 'AP', 19.0, (19.0,)), (group, 'na', 'AP50', 40.0, (40.0,)),
                    (group, 'aug', 'AP50', 48.0, (46.0, 50.0)), (group, 'warp', 'AP50', 45.0, (45.0,))]
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    alone = plot_arm_bars(runs[-1:], tmp_path / 'alone.png', metrics=('AP',), min_arms=1)
    assert [bar[1:4] for bar in alone] == [('na', 'AP', 5.0)]
    none = tmp_path / 'none.png'
    assert plot_arm_bars(runs[-1:], none) == [] and not none.exists()


def test_cli_draws_the_chart(tmp_path):
    runs = tmp_path / 'runs.json'
    runs.write_text(json.dumps([run('na', 0, 20.0), run('warp', 0, 11.0)]))
    chart = tmp_path / 'chart.png'
    done = subprocess.run([sys.executable, str(REPO / 'scripts' / 'study_pairs.py'), str(runs),
                           '--chart', str(chart)], capture_output=True, text=True, check=True)
    # AP of both arms; AP50 and AP75 are None in these runs.
    assert f'{chart}: 2 bar(s)' in done.stdout and chart.exists()
