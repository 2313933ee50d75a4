"""One run's training and testing: tools/train.py and tools/test.py in subprocesses on the study
config of its backbone and arm, pointed at its split files, views, seed and schedule through
the configs' documented knobs (DANR_STUDY_* variables, configs/study/_base_/), the checkpoint
chosen on the holdout file (save_best), the metrics read back in percent."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from .errors import StudyError
from .locks import file_lock
from .plan import METRIC_KEYS, REPO, Run, is_finished, study_config
from .results_store import read_json, read_results, update_results, write_json

SUBPROCESS_TIMEOUT_S = 4 * 3600


def detector_knobs(run: Run, settings: dict, data_root: Path, files: dict,
                   views_dir: Path | None) -> dict[str, str]:
    """The environment variables of a run's training and testing (the study configs' knobs):
    absolute data paths, schedule and its recipe knobs, input size, batch, seed; smoke runs go without data workers,
    whose start-up would dominate."""
    width, height = settings['input_size']
    knobs = dict(DANR_STUDY_DATA_ROOT=f'{data_root.resolve()}/',
                 DANR_STUDY_FIT_FILE=str(files['fit'].resolve()),
                 DANR_STUDY_HOLDOUT_FILE=str(files['holdout'].resolve()),
                 DANR_STUDY_VAL_FILE=str(files['val'].resolve()),
                 DANR_STUDY_ITERS=str(settings['iters']),
                 DANR_STUDY_INPUT_WIDTH=str(width), DANR_STUDY_INPUT_HEIGHT=str(height),
                 DANR_STUDY_BATCH_SIZE=str(settings['batch_size']),
                 DANR_STUDY_DATA_WORKERS='0' if settings['smoke'] else '1',
                 DANR_STUDY_SEED=str(run.seed),
                 DANR_STUDY_BACKBONE_LR_MULT=str(settings['backbone_lr_mult']),
                 DANR_STUDY_WARMUP_ITERS=str(settings['warmup_iters']),
                 DANR_STUDY_LR_STEPS=','.join(map(str, settings['lr_steps'])),
                 DANR_STUDY_LR_GAMMA=str(settings['lr_gamma']),
                 DANR_STUDY_VALIDATIONS=str(settings['validations']))
    if views_dir is not None:
        knobs['DANR_STUDY_VIEWS_DIR'] = f'{views_dir.resolve()}/'
    return knobs


def shell_command(command: list[str], knobs: dict[str, str]) -> str:
    """The command as one shell line, its knob variables in front."""
    return ' '.join([*(f'{name}={shlex.quote(value)}' for name, value in knobs.items()),
                     shlex.join(command)])


def run_subprocess(command: list[str], log_path: Path, threads: int,
                   knobs: dict[str, str]) -> float:
    """Run a tool with the knob variables, its output in log_path; returns the wall time (s)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               PYTHONUNBUFFERED='1', **knobs)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, 'w') as log:
        log.write(shell_command(command, knobs) + '\n\n')
        log.flush()
        result = subprocess.run(command, cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT, timeout=SUBPROCESS_TIMEOUT_S)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        tail = ''.join(log_path.read_text().splitlines(keepends=True)[-25:])
        raise StudyError(f'{Path(command[1]).name} failed (exit {result.returncode}); '
                         f'log {log_path}, last lines:\n{tail}')
    return wall


def tool_command(tool: str, *arguments: str) -> list[str]:
    """python tools/<tool> ARGUMENTS with this interpreter."""
    return [sys.executable, str(REPO / 'tools' / tool), *arguments]


def best_checkpoint(work_dir: Path) -> tuple[Path, int]:
    """The checkpoint save_best kept (best holdout mAP) and its iteration."""
    found = sorted(work_dir.glob('best_coco_bbox_mAP_iter_*.pth'),
                   key=lambda p: int(p.stem.rsplit('_', 1)[1]))
    if not found:
        raise StudyError(f'{work_dir}: no best_coco_bbox_mAP_iter_*.pth; did validation run?')
    return found[-1], int(found[-1].stem.rsplit('_', 1)[1])


def holdout_curve(work_dir: Path) -> list[list]:
    """[iteration, holdout AP in percent] of every validation, over all training sessions."""
    curve = {}
    for scalars in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            record = json.loads(line)
            if METRIC_KEYS['AP'] in record:
                curve[record['step']] = round(100 * record[METRIC_KEYS['AP']], 1)
    return [[step, value] for step, value in sorted(curve.items())]


def read_test_metrics(test_dir: Path) -> dict:
    """The metrics of the newest tools/test.py session in test_dir, in percent
    (-1 stays -1: no object of that size in the split)."""
    sessions = sorted(path for path in test_dir.glob('*/*.json') if path.stem == path.parent.name)
    for path in reversed(sessions):
        record = read_json(path, 'test metrics')
        if all(key in record for key in METRIC_KEYS.values()):
            return {name: (round(100 * record[key], 1) if record[key] >= 0 else -1.0)
                    for name, key in METRIC_KEYS.items()}
    raise StudyError(f'{test_dir}: no test session wrote the COCO metrics '
                     f'{list(METRIC_KEYS.values())}')


def claim_run_dir(run_dir: Path, settings: dict) -> None:
    """Record the run's settings in its folder; a folder left by a run with other settings
    (which a resumed training or a skipped one would silently reuse) raises StudyError."""
    settings_file = run_dir / 'study_settings.json'
    if settings_file.is_file():
        found = read_json(settings_file, 'run settings')
        if found != settings:
            raise StudyError(f'{run_dir} holds a run made with other settings ({found}); '
                             'use another --out for a different study')
    else:
        write_json(settings, settings_file)


def train_and_test(run: Run, run_dir: Path, knobs: dict[str, str], threads: int) -> dict:
    """Train (or resume, or skip a finished training), test the holdout-best checkpoint."""
    config = str(study_config(run))
    done_file = run_dir / 'train_done.json'
    if done_file.is_file():
        train = read_json(done_file, 'training record')
    else:
        command = tool_command('train.py', config, '--work-dir', str(run_dir))
        if (run_dir / 'last_checkpoint').is_file():
            command.append('--resume')
        wall = run_subprocess(command, run_dir / 'train.log', threads, knobs)
        train = dict(command=shell_command(command, knobs), wall_s=round(wall, 1),
                     resumed='--resume' in command)
        write_json(train, done_file)
    checkpoint, best_iter = best_checkpoint(run_dir)
    test_dir = run_dir / 'test'
    command = tool_command('test.py', config, str(checkpoint), '--work-dir', str(test_dir))
    test_wall = run_subprocess(command, run_dir / 'test.log', threads, knobs)
    return dict(metrics=read_test_metrics(test_dir), best_iter=best_iter,
                holdout_curve=holdout_curve(run_dir), train_wall_s=train['wall_s'],
                train_resumed=train['resumed'], test_wall_s=round(test_wall, 1),
                train_command=train['command'], test_command=shell_command(command, knobs))


def run_one(run: Run, out: Path, data_root: Path, threads: int, settings: dict, files: dict,
            views_dir: Path | None, results_path: Path, label: str) -> dict | None:
    """Train and test one run under its lock; returns its record, None when another worker
    holds it."""
    run_dir = out / 'runs' / run.key
    with file_lock(run_dir / 'worker.lock', wait=False) as held:
        if not held:
            print(f'{label} {run.key}: another worker holds it; skipped', flush=True)
            return None
        done = read_results(results_path).get('runs', {}).get(run.key)
        if is_finished(done):  # finished by another worker since this one started
            return done
        print(f'{label} {run.key}: training', flush=True)
        claim_run_dir(run_dir, settings)
        outcome = train_and_test(run, run_dir, detector_knobs(run, settings, data_root, files,
                                                              views_dir), threads)
        record = dict(asdict(run), key=run.key, settings=settings, **outcome)
        update_results(results_path, ('runs', run.key), record)
    return record
