"""``clashtor-ops``: topics and lag, replay into one service, dead letters and redrive,
outbox resend, erasure-certificate verification, data-key re-wrap after a master-key
rotation.

The broker address comes from ``--bootstrap``, else ``KAFKA_BOOTSTRAP``, else the
running ``make up`` stack (``var/devstack.json``), else ``127.0.0.1:9092``. A
service's database (for ``outbox resend``) from ``--database-url``, else
``<SERVICE>_DATABASE_URL``, else the running ``make up`` stack.
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn
from rich.table import Table

from clashtor_common import certificates
from clashtor_common.events import dlq_topic
from clashtor_common.ops import keys as key_ops
from clashtor_common.ops import replay as ops

app = typer.Typer(help="Clashtor operations: topics, consumer lag, replay, dead letters.")
dlq_app = typer.Typer(help="Inspect and redrive dead letters.")
app.add_typer(dlq_app, name="dlq")
outbox_app = typer.Typer(help="A service's outbox: re-publish for disaster recovery.")
app.add_typer(outbox_app, name="outbox")
keys_app = typer.Typer(help="A service's data keys: re-wrap under a new master key.")
app.add_typer(keys_app, name="keys")


def _console() -> Console:
    """A console sized when used (COLUMNS may be set by the caller)."""
    columns = os.environ.get("COLUMNS")
    return Console(width=int(columns) if columns else None)


BootstrapOpt = Annotated[
    str | None, typer.Option("--bootstrap", "-b", help="Kafka bootstrap servers")
]


def _stack() -> dict[str, Any]:
    """The running ``make up`` stack's addresses, if there is one."""
    stack = Path(os.environ.get("CLASHTOR_VAR", "var")) / "devstack.json"
    return dict(json.loads(stack.read_text())) if stack.exists() else {}


def _bootstrap(value: str | None) -> str:
    if value:
        return value
    if os.environ.get("KAFKA_BOOTSTRAP"):
        return os.environ["KAFKA_BOOTSTRAP"]
    return str(_stack().get("kafka_bootstrap", "127.0.0.1:9092"))


def _database_url(service: str, value: str | None) -> str:
    url = value or os.environ.get(f"{service.upper()}_DATABASE_URL")
    url = url or _stack().get("databases", {}).get(service)
    if not url:
        raise typer.BadParameter(
            f"no database for {service}: give --database-url or {service.upper()}_DATABASE_URL"
        )
    return str(url)


JsonOpt = Annotated[
    bool, typer.Option("--json", help="print one JSON document instead of tables and text")
]


def _run(coro, quiet: bool = False):  # type: ignore[no-untyped-def]
    if quiet:
        return asyncio.run(coro)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=_console(), transient=True
    ) as p:
        p.add_task("talking to the broker…")
        return asyncio.run(coro)


def _print(as_json: bool, data: Any, text: str | Table | None = None) -> None:
    """``data`` as JSON with ``--json``, else ``text`` (a line or a table) for people."""
    if as_json:
        typer.echo(json.dumps(data, default=str))
    elif text is not None:
        _console().print(text)


def _fail(message: str) -> NoReturn:
    """Nothing matched or nothing to act on: say what and exit 1."""
    typer.echo(message, err=True)
    raise typer.Exit(code=1)


def _dead_letter_dict(r: ops.Record) -> dict[str, Any]:
    body: Any
    try:
        body = json.loads(r.value)
    except (UnicodeDecodeError, ValueError):
        body = repr(r.value[:2000])
    return {
        "topic": r.topic,
        "partition": r.partition,
        "offset": r.offset,
        "event_id": r.event_id,
        "headers": r.headers,
        "body": body,
    }


def _parse_position(value: str) -> tuple[int, int]:
    """``PARTITION:OFFSET`` of a dead letter (DLQ topics have several partitions)."""
    partition, sep, offset = value.partition(":")
    if not sep or not partition.isdigit() or not offset.isdigit():
        raise typer.BadParameter(f"{value!r}: give PARTITION:OFFSET, as `dlq list` shows them")
    return int(partition), int(offset)


@app.command()
def status(
    service: Annotated[
        list[str] | None, typer.Option(help="only these services (default: all)")
    ] = None,
    bootstrap: BootstrapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Per service: consumer lag, dead letters, outbox backlog (when its database is known:
    ``<SERVICE>_DATABASE_URL`` or the ``make up`` stack)."""
    from clashtor_common.devstack import SERVICES
    from clashtor_common.ops.status import service_status

    names = service or list(SERVICES)
    databases = {
        name: url
        for name in names
        if (
            url := os.environ.get(f"{name.upper()}_DATABASE_URL")
            or _stack().get("databases", {}).get(name)
        )
    }
    rows = _run(service_status(_bootstrap(bootstrap), names, databases), quiet=as_json)
    table = Table("service", "lag", "partitions", "dead letters", "outbox backlog")
    for r in rows:
        backlog = "?" if r.outbox_backlog is None else str(r.outbox_backlog)
        table.add_row(r.service, str(r.lag), str(r.partitions), str(r.dead_letters), backlog)
    _print(as_json, [r.as_dict() for r in rows], table)


@app.command()
def topics(bootstrap: BootstrapOpt = None, as_json: JsonOpt = False) -> None:
    """List topics."""
    names = _run(ops.list_topics(_bootstrap(bootstrap)), quiet=as_json)
    _print(as_json, names, "\n".join(names))


@app.command()
def lag(bootstrap: BootstrapOpt = None, as_json: JsonOpt = False) -> None:
    """Committed offset and lag per consumer group, topic and partition."""
    rows = _run(ops.consumer_lag(_bootstrap(bootstrap)), quiet=as_json)
    table = Table("group", "topic", "partition", "committed", "end", "lag")
    for row in rows:
        table.add_row(
            row.group, row.topic, str(row.partition), str(row.committed), str(row.end), str(row.lag)
        )
    data = [{**vars(row), "lag": row.lag} for row in rows]
    _print(as_json, data, table)


@app.command("replay")
def replay_cmd(
    topic: str,
    service: Annotated[str, typer.Option(help="consumer group (service name) to replay into")],
    from_offset: Annotated[int | None, typer.Option(help="first offset (each partition)")] = None,
    to_offset: Annotated[int | None, typer.Option(help="last offset, inclusive")] = None,
    since: Annotated[datetime | None, typer.Option(help="from this time (ISO 8601)")] = None,
    until: Annotated[datetime | None, typer.Option(help="up to this time (ISO 8601)")] = None,
    bootstrap: BootstrapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-deliver a range of TOPIC to one service only; already-handled events change nothing."""
    count = _run(
        ops.replay(
            _bootstrap(bootstrap),
            topic,
            consumer=service,
            from_offset=from_offset,
            to_offset=to_offset,
            since=since,
            until=until,
        ),
        quiet=as_json,
    )
    _print(
        as_json,
        {"replayed": count, "topic": topic, "service": service},
        f"replayed {count} message(s) of {topic} into {service}",
    )


@dlq_app.command("list")
def dlq_list(topic: str, bootstrap: BootstrapOpt = None, as_json: JsonOpt = False) -> None:
    """Dead letters of TOPIC: partition:offset, event id, consumer, attempts, error."""
    records = _run(ops.dead_letters(_bootstrap(bootstrap), topic), quiet=as_json)
    table = Table("partition:offset", "event id", "consumer", "attempts", "time")
    table.add_column("error", overflow="fold")
    for r in records:
        h = r.headers
        table.add_row(
            f"{r.partition}:{r.offset}",
            r.event_id or "-",
            h.get("x-dlq-consumer", "?"),
            h.get("x-dlq-attempts", "?"),
            h.get("x-dlq-time", "?"),
            h.get("x-dlq-error", "")[:120],
        )
    empty = f"no dead letters on {dlq_topic(topic)}"
    _print(as_json, [_dead_letter_dict(r) for r in records], table if records else empty)


@dlq_app.command("show")
def dlq_show(
    topic: str,
    partition: Annotated[int, typer.Argument(help="the DLQ partition (as `dlq list` shows)")],
    offset: Annotated[int, typer.Argument(help="the offset within that partition")],
    bootstrap: BootstrapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One dead letter in full, headers and body: TOPIC PARTITION OFFSET."""
    records = _run(ops.dead_letters(_bootstrap(bootstrap), topic), quiet=as_json)
    found = [r for r in records if r.partition == partition and r.offset == offset]
    if not found:
        where = sorted({r.partition for r in records})
        _fail(
            f"no dead letter at partition {partition} offset {offset} of {dlq_topic(topic)}"
            + (
                f" (it holds {len(records)} in partition(s) {', '.join(map(str, where))};"
                f" `clashtor-ops dlq list {topic}` lists them)"
                if records
                else " (it holds none)"
            )
        )
    letter = _dead_letter_dict(found[0])
    if as_json:
        _print(True, letter)
        return
    _console().print_json(json.dumps({"headers": letter["headers"]}))
    body = letter["body"]
    if isinstance(body, str):
        _console().print(body)
    else:
        _console().print_json(json.dumps(body))


@dlq_app.command("redrive")
def dlq_redrive(
    topic: str,
    service: Annotated[str, typer.Option(help="the consumer whose dead letters to redrive")],
    event_id: Annotated[list[str] | None, typer.Option(help="only these event ids")] = None,
    offset: Annotated[
        list[str] | None, typer.Option(help="only these dead letters, as PARTITION:OFFSET")
    ] = None,
    bootstrap: BootstrapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send dead letters back to TOPIC for SERVICE only (once the fault is fixed)."""
    positions = {_parse_position(o) for o in offset} if offset else None
    count = _run(
        ops.redrive_dead_letters(
            _bootstrap(bootstrap),
            topic,
            consumer=service,
            event_ids=set(event_id) if event_id else None,
            offsets=positions,
        ),
        quiet=as_json,
    )
    if not count:
        _fail(f"no dead letter of {service} on {dlq_topic(topic)} matched; nothing redriven")
    _print(
        as_json,
        {"redriven": count, "topic": topic, "service": service},
        f"redrove {count} dead letter(s) to {topic} for {service}",
    )


@outbox_app.command("resend")
def outbox_resend(
    service: Annotated[str, typer.Option(help="whose outbox (service name)")],
    since: Annotated[datetime, typer.Option(help="events created from this time (ISO 8601, UTC)")],
    until: Annotated[datetime | None, typer.Option(help="up to this time (ISO 8601, UTC)")] = None,
    database_url: Annotated[str | None, typer.Option(help="the service's database")] = None,
    bootstrap: BootstrapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-publish SERVICE's events created since SINCE, sent or not (after a broker lost them).

    Every consumer handles an event once (inbox), so what had arrived changes nothing.
    Rows older than the service's ``outbox_retention_hours`` are gone and cannot be resent.
    """
    count = _run(
        ops.resend_outbox(
            _database_url(service, database_url),
            _bootstrap(bootstrap),
            since=_utc(since),
            until=_utc(until) if until else None,
        ),
        quiet=as_json,
    )
    _print(
        as_json,
        {"republished": count, "service": service},
        f"re-published {count} event(s) from the {service} outbox",
    )


ServiceOpt = Annotated[str, typer.Option(help="whose key table (service name)")]
DatabaseOpt = Annotated[str | None, typer.Option(help="the service's database")]


def _master_keys(service: str, value: str | None) -> str:
    keys = value or os.environ.get(f"{service.upper()}_MASTER_KEYS")
    if not keys:
        raise typer.BadParameter(
            f"no master keys for {service}: give --master-keys or {service.upper()}_MASTER_KEYS"
        )
    return keys


@keys_app.command("rewrap")
def keys_rewrap(
    service: ServiceOpt,
    master_keys: Annotated[
        str | None,
        typer.Option(help="'kid:key,...': the new key first, then the old ones (to unwrap)"),
    ] = None,
    database_url: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-wrap every SERVICE data key under the first master key; no data is re-encrypted."""
    count, kid = asyncio.run(
        key_ops.rewrap_keys(
            _database_url(service, database_url), service, _master_keys(service, master_keys)
        )
    )
    _print(
        as_json,
        {"rewrapped": count, "service": service, "master_key": kid},
        f"re-wrapped {count} {service} data key(s) under master key {kid}",
    )


@keys_app.command("status")
def keys_status(
    service: ServiceOpt, database_url: DatabaseOpt = None, as_json: JsonOpt = False
) -> None:
    """How many SERVICE data keys each master key wraps (an old one at 0 can be retired)."""
    counts = asyncio.run(key_ops.key_count_by_master(_database_url(service, database_url), service))
    table = Table("master key", "data keys")
    for kid, n in sorted(counts.items()):
        table.add_row(kid, str(n))
    _print(as_json, dict(sorted(counts.items())), table)


def _certificate_key(value: str | None) -> str:
    """The public key: given as base64, as a file holding it (or holding the JSON that
    ``GET /v1/privacy/certificate-key`` answers), else the ``make up`` stack's."""
    if value is None:
        stacked = Path(os.environ.get("CLASHTOR_VAR", "var")) / certificates.PUBLIC_KEY_FILE
        if not stacked.exists():
            raise typer.BadParameter(
                "give --key: the privacy service's public key (GET /v1/privacy/certificate-key)"
            )
        value = str(stacked)
    if Path(value).is_file():
        value = Path(value).read_text().strip()
    if value.startswith("{"):
        value = str(json.loads(value).get("public_key", ""))
    return value


@app.command("verify-certificate")
def verify_certificate(
    file: Annotated[Path, typer.Argument(help="the certificate (JSON), as the API answered it")],
    key: Annotated[
        str | None,
        typer.Option(help="public key: base64, or a file with it or with certificate-key's JSON"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check an erasure certificate offline: its record is unaltered and the privacy
    service signed it. Exit 0 when valid, 1 when not."""
    try:
        document = certificates.load_certificate(file.read_bytes())
        record = certificates.verify_certificate(document, _certificate_key(key))
    except (OSError, certificates.CertificateError) as exc:
        if as_json:
            _print(True, {"valid": False, "file": str(file), "reason": str(exc)})
        else:
            _console().print(f"[red]INVALID[/red] {file}: {exc}")
        raise typer.Exit(code=1) from exc
    if as_json:
        _print(True, {"valid": True, "record": record})
        return
    acks = ", ".join(f"{a['service']}={a['status']}" for a in record.get("acknowledgements", []))
    _console().print(
        f"[green]VALID[/green] erasure {record.get('request_id')} of org {record.get('org_id')}, "
        f"completed {record.get('completed_at')}; acknowledgements: {acks}"
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


if __name__ == "__main__":
    app()
