"""The `feedclass` command. It parses arguments, calls one library function, formats output.

Every library error becomes one line on stderr and exit code 2; anything unexpected becomes one
line and exit code 1, with the traceback only under ``--debug``. Ctrl-C exits 130 and SIGTERM
143, as a shell reports a process killed by those signals, so ``feedclass ... && upload`` stops;
either way no temporary file is left behind.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from feedclass.errors import FeedclassError, Terminated

try:  # typer >= 0.20 vendors click; older releases use click itself
    from typer.exceptions import TyperException as _UsageError
except ImportError:  # pragma: no cover - depends on the installed typer
    from click import ClickException as _UsageError  # type: ignore[assignment,no-redef]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Label news headlines by topic and group near-duplicates before a feed is published.",
    pretty_exceptions_enable=False,
)

Input = Annotated[
    str, typer.Argument(help="Input file (CSV, TSV, JSONL, RSS/Atom, text), or - for stdin.")
]
Output = Annotated[
    str | None,
    typer.Option(
        "--output", "-o", help="Output file; its extension picks the format. Default: stdout."
    ),
]
ModelOpt = Annotated[
    Path | None, typer.Option("--model", "-m", help="Model file. Default: the shipped model.")
]
TextColumn = Annotated[
    str | None,
    typer.Option("--text-column", "-t", help="Column with the headline (found by name otherwise)."),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Input format: csv, tsv, jsonl, lines or rss (default: by extension, else sniffed).",
    ),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Write the model even over an existing file that is not a model file."
    ),
]


EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Input encoding, e.g. utf-8, cp1251, cp1252 (default: detected; a weak guess "
        "between cp1251 and cp1252 is reported).",
    ),
]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        help="Run on Dask: local (a worker per core), local:N, or a scheduler such as "
        "tcp://host:8786. INPUT may then be a file, a glob or a folder of shards; -o a folder.",
    ),
]
WorkerMemory = Annotated[
    str | None,
    typer.Option(
        "--worker-memory",
        help="With --dask local: memory limit per worker, e.g. 6GiB (past it, Dask spills "
        "to disk).",
    ),
]


def _err(msg: str) -> None:
    typer.echo(f"feedclass: {msg}", err=True)


class _Progress:
    """A one-line counter on stderr when it is a terminal; silent in pipes and CI."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.on = sys.stderr.isatty()
        self.shown = False

    def rows(self, n: int) -> None:
        if self.on:
            sys.stderr.write(f"\r{self.what}: {n:,} rows")
            sys.stderr.flush()
            self.shown = True

    def steps(self, i: int, total: int) -> None:
        if self.on:
            sys.stderr.write(f"\r{self.what}: {i}/{total}")
            sys.stderr.flush()
            self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def _load(model: Path | None, jobs: int | None = None) -> Any:
    from feedclass.model import load_model

    return load_model(model, n_jobs=jobs)


@app.command()
def train(
    data: Annotated[str, typer.Argument(help="Labelled CSV, TSV or JSONL file, or - for stdin.")],
    output: Annotated[str, typer.Option("--output", "-o", help="Model file to write.")],
    text_column: TextColumn = None,
    label_column: Annotated[
        str, typer.Option("--label-column", "-l", help="Column with the topic.")
    ] = "label",
    fmt: FormatOpt = None,
    folds: Annotated[
        int, typer.Option(help="Cross-validation folds for the printed scores (0: none).")
    ] = 5,
    C: Annotated[float, typer.Option("--C", help="Inverse regularisation strength.")] = 1.5,
    balanced: Annotated[
        bool, typer.Option(help="Weight topics inversely to their frequency.")
    ] = True,
    encoding: EncodingOpt = None,
    force: ForceOpt = False,
) -> None:
    """Train a topic model from a labelled file and print its validation scores."""
    from feedclass.evaluate import format_report
    from feedclass.model import TopicModel
    from feedclass.train import train_file

    progress = _Progress("cross-validation")
    result = train_file(
        data,
        output,
        text_column=text_column,
        label_column=label_column,
        fmt=fmt,
        model=TopicModel(C=C, class_weight="balanced" if balanced else None),
        folds=folds,
        progress=progress.steps,
        encoding=encoding,
        force=force,
    )
    progress.done()
    for w in result.warnings:
        _err(f"warning: {w}")
    typer.echo(
        f"trained on {sum(result.class_counts.values())} rows"
        + (f" ({result.skipped} skipped: empty text or label)" if result.skipped else "")
    )
    width = max(len(k) for k in result.class_counts)
    for lab, n in result.class_counts.items():
        typer.echo(f"  {lab:<{width}} {n:6d}")
    if result.metrics:
        typer.echo(f"\n{result.metrics['folds']}-fold cross-validation:")
        typer.echo(format_report(result.metrics))
    typer.echo(f"\nmodel written to {output}")


@app.command()
def update(
    model: Annotated[
        str, typer.Argument(help="Model file to start from, or 'default' for the shipped model.")
    ],
    corrections: Annotated[
        str,
        typer.Option(
            "--corrections", "-c", help="Corrected items: CSV, TSV or JSONL with text and label."
        ),
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="New model file to write.")],
    text_column: TextColumn = None,
    label_column: Annotated[
        str, typer.Option("--label-column", "-l", help="Column with the right topic.")
    ] = "label",
    fmt: FormatOpt = None,
    force: ForceOpt = False,
) -> None:
    """Teach a model editors' corrections: a new model that keeps what the old one knew."""
    from feedclass.update import update_file

    r = update_file(
        model,
        corrections,
        output,
        text_column=text_column,
        label_column=label_column,
        fmt=fmt,
        force=force,
    )
    typer.echo(
        f"learned {r.corrections} corrections"
        + (f" ({r.skipped} skipped: empty text or label)" if r.skipped else "")
        + f"; {100 * r.learned:.1f}% of them now get the corrected topic"
    )
    if r.new_topics:
        typer.echo(f"new topics: {', '.join(map(str, r.new_topics))}")
    typer.echo(f"model written to {output}")


@app.command()
def classify(
    input: Input,
    output: Output = None,
    model: ModelOpt = None,
    text_column: TextColumn = None,
    fmt: FormatOpt = None,
    top_k: Annotated[
        int, typer.Option("--top-k", "-k", help="Also give the K best topics with probabilities.")
    ] = 0,
    min_confidence: Annotated[
        float,
        typer.Option(
            help="Below this confidence leave the topic empty (or --fallback) for review."
        ),
    ] = 0.0,
    fallback: Annotated[str, typer.Option(help="Topic to give below --min-confidence.")] = "",
    explain: Annotated[
        bool, typer.Option(help="Add the n-grams that weighed most for each topic.")
    ] = False,
    summary: Annotated[
        bool, typer.Option(help="RSS/Atom: classify title plus description.")
    ] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Threads to use (default: every core).")
    ] = None,
    encoding: EncodingOpt = None,
    dask: DaskOpt = None,
    worker_memory: WorkerMemory = None,
) -> None:
    """Label every row of a feed with a topic and a confidence, keeping rows and order."""
    if dask is not None:
        _classify_dask(
            input,
            output,
            model,
            dask,
            worker_memory,
            text_column,
            fmt,
            top_k,
            min_confidence,
            fallback,
            explain,
        )
        return
    from feedclass.classify import classify_file

    if explain:
        m = _load(model, jobs)
    else:  # the same probabilities without importing scikit-learn: a quicker start
        from feedclass.scorer import load_scorer

        m = load_scorer(model, n_jobs=jobs)
    progress = _Progress("classified")
    result = classify_file(
        input,
        output,
        m,
        text_column=text_column,
        input_format=fmt,
        top_k=top_k,
        min_confidence=min_confidence,
        fallback=fallback,
        explain=explain,
        rss_summary=summary,
        progress=progress.rows,
        encoding=encoding,
    )
    progress.done()
    note = f"feedclass: classified {_n(result.rows, 'row')}"
    extra = []
    if result.empty:
        extra.append(f"{result.empty} with empty text left without a topic")
    if result.below_threshold:
        extra.append(f"{result.below_threshold} below --min-confidence")
    typer.echo(note + (f" ({'; '.join(extra)})" if extra else ""), err=True)


def _classify_dask(
    input: str,
    output: str | None,
    model: Path | None,
    address: str,
    worker_memory: str | None,
    text_column: str | None,
    fmt: str | None,
    top_k: int,
    min_confidence: float,
    fallback: str,
    explain: bool,
) -> None:
    from feedclass.distributed import classify_shards
    from feedclass.errors import DataError

    if output is None:
        raise DataError("--dask needs -o FOLDER: one output shard per input shard goes there")
    r = classify_shards(
        input,
        output,
        model,
        address=address,
        worker_memory=worker_memory,
        text_column=text_column,
        input_format=fmt,
        top_k=top_k,
        min_confidence=min_confidence,
        fallback=fallback,
        explain=explain,
    )
    note = (
        f"feedclass: classified {_n(r.rows, 'row')} in {_n(r.shards, 'shard')} on "
        f"{_n(r.workers, 'worker')} into {output}"
    )
    extra = []
    if r.empty:
        extra.append(f"{r.empty} with empty text left without a topic")
    if r.below_threshold:
        extra.append(f"{r.below_threshold} below --min-confidence")
    typer.echo(note + (f" ({'; '.join(extra)})" if extra else ""), err=True)


@app.command()
def review(
    feed: Input,
    output: Output = None,
    model: ModelOpt = None,
    n: Annotated[int, typer.Option("-n", help="How many items to pick.")] = 50,
    text_column: TextColumn = None,
    fmt: FormatOpt = None,
) -> None:
    """Pick the items whose labels would teach the model most, with its two best guesses."""
    from feedclass.review import review_file

    items = review_file(feed, output, _load(model), n=n, text_column=text_column, fmt=fmt)
    typer.echo(f"feedclass: {len(items)} items to review, most useful first", err=True)


@app.command()
def audit(
    data: Annotated[str, typer.Argument(help="Labelled CSV, TSV or JSONL file, or - for stdin.")],
    output: Output = None,
    text_column: TextColumn = None,
    label_column: Annotated[
        str, typer.Option("--label-column", "-l", help="Column with the topic.")
    ] = "label",
    n: Annotated[int, typer.Option("-n", help="Rows to list (0: every row).")] = 0,
    folds: Annotated[int, typer.Option(help="Cross-validation folds.")] = 5,
    fmt: FormatOpt = None,
) -> None:
    """List the rows of a labelled file most likely mislabelled, with the suggested label."""
    from feedclass.audit import audit_file

    items, unjudged = audit_file(
        data,
        output,
        text_column=text_column,
        label_column=label_column,
        fmt=fmt,
        n=n,
        folds=folds,
    )
    disagree = sum(1 for it in items if it.suspicion > 0.5)
    note = f"feedclass: audited {len(items)} rows; {disagree} look mislabelled (suspicion > 0.5)"
    if unjudged:
        note += f"; {unjudged} without text or label listed last, not judged"
    typer.echo(note, err=True)


@app.command()
def evaluate(
    data: Annotated[str, typer.Argument(help="Labelled CSV, TSV or JSONL file, or - for stdin.")],
    model: ModelOpt = None,
    text_column: TextColumn = None,
    label_column: Annotated[str, typer.Option("--label-column", "-l")] = "label",
    fmt: FormatOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    encoding: EncodingOpt = None,
) -> None:
    """Score a model on labelled data: accuracy, macro-F1, per-topic scores, confusion matrix."""
    from feedclass.evaluate import evaluate_file, format_report

    rep = evaluate_file(
        data,
        _load(model),
        text_column=text_column,
        label_column=label_column,
        fmt=fmt,
        encoding=encoding,
    )
    typer.echo(json.dumps(rep, ensure_ascii=False, indent=1) if as_json else format_report(rep))


@app.command()
def info(
    model: Annotated[
        Path | None, typer.Argument(help="Model file. Default: the shipped model.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole header as JSON.")
    ] = False,
) -> None:
    """Show a model's topics, training data, metrics and versions."""
    from feedclass.model import model_info

    h = model_info(model)
    if as_json:
        typer.echo(json.dumps(h, ensure_ascii=False, indent=1))
        return
    data = h.get("training_data") or {}
    typer.echo(f"labels:     {', '.join(h['labels'])}")
    typer.echo(f"trained on: {h.get('n_train', '?')} rows, {h.get('created', '?')}")
    if data:
        typer.echo(
            f"data:       {data.get('source', '?')} (sha256 {str(data.get('sha256', ''))[:16]})"
        )
        for src in data.get("sources", []) or []:
            typer.echo(f"            {src}")
    typer.echo(
        f"versions:   feedclass {h.get('feedclass_version')}, scikit-learn "
        f"{h.get('sklearn_version')}, numpy {h.get('numpy_version')}, "
        f"format {h.get('format_version')}"
    )
    parent = h.get("parent_model")
    if parent:
        typer.echo(
            f"updated:    from {parent.get('path')} (sha256 {str(parent.get('sha256', ''))[:16]}) "
            f"with {h.get('corrections_count')} corrections "
            f"(sha256 {str(h.get('corrections_sha256', ''))[:16]})"
        )
    metrics = h.get("metrics")
    if metrics:
        line = f"metrics:    accuracy {metrics.get('accuracy')}, macro-F1 {metrics.get('macro_f1')}"
        if "ece" in metrics:
            line += f", ECE {metrics['ece']}"
        line += f" ({metrics.get('folds')}-fold{' grouped' if metrics.get('grouped') else ''} CV)"
        typer.echo(line)
        for lab, f1 in (metrics.get("per_class_f1") or {}).items():
            typer.echo(f"            {lab:<10} F1 {f1}")


IdColumn = Annotated[
    str | None,
    typer.Option("--id-column", help="Column with item ids (default: row numbers, from 1)."),
]
TimeColumn = Annotated[
    str | None,
    typer.Option(
        "--time-column",
        help="Column with publication times; the earliest item represents its story.",
    ),
]
SourceColumn = Annotated[
    str | None,
    typer.Option("--source-column", help="Never merge two items from the same source."),
]
Threshold = Annotated[
    float | None,
    typer.Option(
        help="Similarity (0-1) at which items merge. Default 0.75: precision first; 0.55 also "
        "merges looser rewrites by other outlets."
    ),
]
Keep = Annotated[
    str, typer.Option(help="Representative of a story: first (earliest), last or longest.")
]
HistoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--history",
        help="State file of earlier batches: catch republished stories "
        "and keep story ids stable (created on first use).",
    ),
]
HistoryDays = Annotated[
    float | None,
    typer.Option(
        "--history-days",
        help="Forget published items older than this many days; replaces the state's limit "
        "(default: the state's, 3 for a new state).",
    ),
]
Summary = Annotated[
    bool, typer.Option("--summary", help="RSS/Atom: use title plus description as the text.")
]
Report = Annotated[
    str | None, typer.Option(help="Write every merge with its similarity to this file.")
]
LockTimeout = Annotated[
    float | None,
    typer.Option(
        "--lock-timeout",
        help="Seconds to wait while another run uses the --history state (default 60).",
    ),
]


@app.command()
def dedup(
    input: Input,
    output: Output = None,
    text_column: TextColumn = None,
    id_column: IdColumn = None,
    time_column: TimeColumn = None,
    source_column: SourceColumn = None,
    threshold: Threshold = None,
    keep: Keep = "first",
    history: HistoryOpt = None,
    history_days: HistoryDays = None,
    report: Report = None,
    fmt: FormatOpt = None,
    summary: Summary = False,
    lock_timeout: LockTimeout = None,
    encoding: EncodingOpt = None,
    dask: DaskOpt = None,
    worker_memory: WorkerMemory = None,
) -> None:
    """Group near-duplicates: every row out, in order, with cluster and duplicate_of."""
    if dask is not None:
        from feedclass.distributed import dedup_shards
        from feedclass.errors import DataError

        if output is None:
            raise DataError("--dask needs -o FOLDER: one output shard per input shard goes there")
        if history is not None:
            raise DataError(
                "--history is not available with --dask: the state is one file that a single "
                "process updates under a lock; run the archive once with --dask, then daily "
                "batches with --history"
            )
        if summary:
            raise DataError(
                "--summary is for RSS/Atom input, and --dask reads CSV, TSV, JSONL or Parquet "
                "shards"
            )
        d = dedup_shards(
            input,
            output,
            address=dask,
            worker_memory=worker_memory,
            text_column=text_column,
            id_column=id_column,
            time_column=time_column,
            source_column=source_column,
            threshold=threshold,
            keep=keep,
            input_format=fmt,
            report=report,
        )
        _err(
            f"{_n(d.rows, 'row')} in {_n(d.shards, 'shard')} on {_n(d.workers, 'worker')}, "
            f"{_n(d.clusters, 'story', 'stories')}, {d.merged} merged as duplicates "
            f"({d.cross_shard} into a story of another shard)"
        )
        return
    from feedclass.publish import dedup_file

    r = dedup_file(
        input,
        output,
        text_column=text_column,
        id_column=id_column,
        time_column=time_column,
        source_column=source_column,
        threshold=threshold,
        keep=keep,
        history_path=history,
        history_days=history_days,
        input_format=fmt,
        report=report,
        rss_summary=summary,
        lock_timeout=lock_timeout,
        encoding=encoding,
    )
    line = (
        f"{_n(r.rows, 'row')}, {_n(r.clusters, 'story', 'stories')}, "
        f"{r.merged} merged as duplicates"
    )
    if history is not None:
        line += f" ({r.seen_before} published in earlier batches)"
    _err(line)
    _history_note(history, r)


def _n(k: int, one: str, many: str | None = None) -> str:
    return f"{k} {one if k == 1 else (many or one + 's')}"


def _history_note(history: Path | None, r: Any) -> None:
    if history is None:
        return
    if r.history_created:
        kept = _n(r.history_items, "item")
        _err(f"note: {history} did not exist: started a new history there ({kept})")
    else:
        _err(f"history {history}: {_n(r.history_items, 'item')} kept")


@app.command()
def publish(
    input: Input,
    output: Output = None,
    model: ModelOpt = None,
    text_column: TextColumn = None,
    id_column: IdColumn = None,
    time_column: TimeColumn = None,
    source_column: SourceColumn = None,
    threshold: Threshold = None,
    keep: Keep = "first",
    history: HistoryOpt = None,
    history_days: HistoryDays = None,
    report: Report = None,
    min_confidence: Annotated[
        float, typer.Option(help="Below this confidence leave the topic empty (or --fallback).")
    ] = 0.0,
    fallback: Annotated[str, typer.Option(help="Topic to give below --min-confidence.")] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write nothing; show what would merge.")
    ] = False,
    sweep: Annotated[
        str | None,
        typer.Option(help="With --dry-run: thresholds to compare, e.g. 0.5,0.6,0.7."),
    ] = None,
    fmt: FormatOpt = None,
    summary: Summary = False,
    lock_timeout: LockTimeout = None,
    encoding: EncodingOpt = None,
) -> None:
    """Classify and deduplicate in one pass: one row per story, with its topic."""
    from feedclass.errors import DataError
    from feedclass.publish import publish_file, sweep_file

    if dry_run:
        try:
            levels = [float(x) for x in (sweep or "").split(",") if x.strip()]
        except ValueError:
            raise DataError(f"--sweep takes numbers like 0.5,0.6,0.7; got {sweep!r}") from None
        if not levels:
            from feedclass.dedup import DEFAULT_THRESHOLD

            levels = [threshold if threshold is not None else DEFAULT_THRESHOLD]
        results = sweep_file(
            input,
            levels,
            text_column=text_column,
            time_column=time_column,
            source_column=source_column,
            keep=keep,
            input_format=fmt,
            rss_summary=summary,
        )
        for res in results:
            typer.echo(
                f"threshold {res.threshold:.2f}: {res.n_items} items -> "
                f"{res.n_clusters} stories ({res.n_merged} merged)"
            )
            for item, rep, score in res.margin_examples:
                typer.echo(f"    {score:.3f}  {item!r}  ~  {rep!r}")
        return
    if output is None:
        raise DataError("publish needs -o OUTPUT (or --dry-run)")
    r = publish_file(
        input,
        output,
        _load(model),
        text_column=text_column,
        id_column=id_column,
        time_column=time_column,
        source_column=source_column,
        threshold=threshold,
        keep=keep,
        history_path=history,
        history_days=history_days,
        input_format=fmt,
        report=report,
        min_confidence=min_confidence,
        fallback=fallback,
        rss_summary=summary,
        lock_timeout=lock_timeout,
        encoding=encoding,
    )
    line = (
        f"{_n(r.rows, 'row')} -> {_n(r.published, 'story', 'stories')} published, "
        f"{_n(r.merged, 'duplicate')} merged"
    )
    if history is not None:
        line += f", {r.seen_before} already published earlier"
    if r.empty:
        line += f", {r.empty} with an empty headline left out"
    _err(line)
    _history_note(history, r)


@app.command("tune-dedup")
def tune_dedup(
    pairs: Annotated[str, typer.Argument(help="Labelled pairs: columns text_1, text_2, label.")],
    target_precision: Annotated[float, typer.Option(help="Precision to reach.")] = 0.9,
    fmt: FormatOpt = None,
) -> None:
    """Pick the dedup threshold for your own labelled pairs (label 1 = same news)."""
    from feedclass.dedup.tuning import FEW_PAIRS
    from feedclass.publish import tune_file

    res = tune_file(pairs, target_precision=target_precision, input_format=fmt)
    typer.echo(
        f"threshold {res.threshold:.3f}: precision {res.precision:.3f}, recall "
        f"{res.recall:.3f} on {res.n_pairs} pairs ({res.n_positive} same news)"
    )
    typer.echo("\nthreshold  precision  recall  merged")
    for thr, p, rec, k in res.curve:
        typer.echo(f"{thr:9.2f} {p:10.3f} {rec:7.3f} {k:7d}")
    typer.echo(f"\nuse: feedclass dedup FEED --threshold {res.threshold:.3f}")
    if res.few_pairs:
        _err(
            f"warning: only {res.n_positive} same-news and {res.n_pairs - res.n_positive} "
            "different-news pairs: this threshold is a rough guess; label at least "
            f"{FEW_PAIRS} of each (50+ is better)"
        )


class _StderrWarnings(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _err(f"warning: {record.getMessage()}")


def _log_warnings_to_stderr() -> None:
    """Library warnings (a weak encoding guess, ...) as ``feedclass: warning: ...`` lines."""
    logger = logging.getLogger("feedclass")
    if not any(isinstance(h, _StderrWarnings) for h in logger.handlers):
        handler = _StderrWarnings(logging.WARNING)
        logger.addHandler(handler)


def _on_sigterm(signum: int, frame: Any) -> None:
    from feedclass.atomic import request_stop

    request_stop(signum)  # in case the exception is lost inside a callback from compiled code
    raise Terminated


def _quiet_lost_interrupt(unraisable: Any) -> None:
    # A signal's exception raised inside a callback from compiled code cannot propagate and
    # Python prints it with a traceback; the stop is recorded (request_stop) and acted on at
    # the next rename, so say nothing here.
    if isinstance(unraisable.exc_value, (KeyboardInterrupt, Terminated)):
        return
    sys.__unraisablehook__(unraisable)


def _on_sigint(signum: int, frame: Any) -> None:
    from feedclass.atomic import request_stop

    request_stop(signum)
    raise KeyboardInterrupt


def _stop(code: int, message: str) -> None:
    from feedclass.atomic import remove_live_temp_files

    # Writers remove their temporary files as the exception unwinds; this catches any that a
    # signal arriving inside a clean-up left behind.
    remove_live_temp_files()
    _err(message)
    if _WHOLE_PROCESS:
        # A signal can land inside compiled code (numba, LLVM, a reader thread); tearing the
        # interpreter down from there has crashed, so a stopped process leaves at once: the
        # outputs are already committed or removed, and stderr is flushed.
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


#: True when ``main`` runs as the program itself (no ``argv`` given), not embedded in a caller.
_WHOLE_PROCESS = False


DbOpt = Annotated[
    str,
    typer.Option(
        "--db", envvar="FEEDCLASS_DB", help="SQLite file or postgresql://user@host/db URL."
    ),
]


def _need_serve_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise FeedclassError(
            f"`feedclass serve` needs the serve extra ({e.name} is missing): "
            "pip install 'feedclass[serve]'"
        ) from None


@app.command()
def serve(
    db: DbOpt = "feedclass.db",
    model: ModelOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; other than loopback needs a token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    history_days: Annotated[
        float, typer.Option(help="Match new items against the stories of the last N days.")
    ] = 3.0,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="An RSS/Atom feed to poll (repeat for several)."),
    ] = None,
    poll_minutes: Annotated[float, typer.Option(help="Minutes between two polls.")] = 5.0,
) -> None:
    """Run the newsroom desk: a JSON API (/v1, docs at /docs) and a web page for editors."""
    _need_serve_extra()
    from feedclass.serve.server import serve as run
    from feedclass.serve.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = Settings(
        db=db,
        model=str(model) if model else None,
        host=host,
        port=port,
        history_days=history_days,
        sources=list(source or []),
        poll_minutes=poll_minutes,
    )
    run(settings, on_ready=lambda url: typer.echo(f"feedclass desk: open {url}", err=True))


token_app = typer.Typer(help="API tokens of the desk (feedclass serve).", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="reader, editor or admin.")],
    name: Annotated[str, typer.Option(help="Who the token is for (shown in the log).")] = "",
    db: DbOpt = "feedclass.db",
) -> None:
    """Make an API token; it is printed once and only its hash is stored."""
    _need_serve_extra()
    from feedclass.serve.server import make_token

    tid, token = make_token(db, role, name)
    typer.echo(token)
    _err(f"token {tid} ({role}) created; send it as 'Authorization: Bearer <token>'")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every error into one line and an exit code."""
    global _WHOLE_PROCESS
    _WHOLE_PROCESS = argv is None
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if debug:
        args.remove("--debug")
        logging.basicConfig(level=logging.DEBUG)
    _log_warnings_to_stderr()
    sys.unraisablehook = _quiet_lost_interrupt
    command = typer.main.get_command(app)
    try:
        previous: Any = signal.signal(signal.SIGTERM, _on_sigterm)
        previous_int: Any = signal.signal(signal.SIGINT, _on_sigint)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        previous = previous_int = None
    try:
        code = command.main(args=args, prog_name="feedclass", standalone_mode=False)
        if code == 130:  # typer turns KeyboardInterrupt into Exit(130), returned, not raised
            _stop(130, "interrupted")
    except typer.Exit as exc:
        if exc.exit_code == 130:
            _stop(130, "interrupted")
        sys.exit(exc.exit_code)
    except Terminated:
        _stop(143, "terminated")
    except _UsageError as exc:
        if debug:
            raise
        if exc.exit_code == 0 or "NoArgsIsHelp" in type(exc).__name__:
            # `feedclass` alone prints the help; that is not an error.
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                typer.echo(ctx.get_help())
            sys.exit(0 if exc.exit_code == 0 else 2)
        _err(exc.format_message().replace("\n", " "))
        sys.exit(exc.exit_code)
    except typer.Abort:
        _stop(130, "aborted")
    except FeedclassError as exc:
        if debug:
            raise
        _err(f"error: {exc}")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _stop(130, "interrupted")
    except BrokenPipeError:
        # The reader of our stdout went away (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        sys.exit(0)
    except MemoryError:
        _err("error: out of memory")
        sys.exit(1)
    except RecursionError:
        if debug:
            raise
        _err("error: input nested too deeply to read")
        sys.exit(2)
    except OSError as exc:
        if debug:
            raise
        _err(f"error: {exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
        sys.exit(1)
    except Exception as exc:
        if debug:
            raise
        _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        sys.exit(1)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
            signal.signal(signal.SIGINT, previous_int)


if __name__ == "__main__":
    main()
