"""`parley agents plan` and `apply` on 50 to 500 spec files, through the real CLI.

For each size N this script writes N realistic specs (prompts of about 30 lines, variables,
tools, knowledge, data collection, evaluation, voice and provider extras; names and contents vary)
into a temporary folder. Then, on a fresh database, after one untimed `parley db upgrade`, it
times these commands as subprocesses, as a user runs them (interpreter start included):

    plan DIR --json             every spec is a create
    apply DIR -m bench --json   records N versions
    plan DIR --json             every spec unchanged
    (10% of the files edited)
    plan DIR --json             N/10 updates with field diffs, the rest unchanged
    apply DIR -m bench --json   records N/10 new versions

Each round runs on its own fresh database (apply of creates cannot be repeated on one); the
table shows the median of the rounds (3 by default). One untimed warm-up round on 20 specs comes
first; bytecode is cached as in bench/cli_startup.py (--pycache). The JSON output of every
command is checked (actions and counts), so a fast but wrong run fails loudly. Goal: plan of 500
specs under 2 s.

Run from the repository root:

    .venv/bin/python bench/plan_apply.py                       # SQLite, N = 50 100 250 500
    .venv/bin/python bench/plan_apply.py --sizes 50 500 --rounds 5
    .venv/bin/python bench/plan_apply.py \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/parley_bench

With --postgres, the same runs also go to PostgreSQL: for every round a database is created with
`psql -d test` (see --pg-admin-db) on that server, named after the URL's database plus a suffix,
and dropped afterwards. --no-sqlite skips the SQLite runs. Prints Markdown tables and writes
bench/results/plan_apply.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from _common import (
    PYCACHE_HELP,
    PYCACHE_MODES,
    clean_env,
    machine,
    machine_line,
    median,
    table,
    tool,
    write_json,
)

GOAL_PLAN_500_S = 2.0
EDIT_EVERY = 10  # one file in ten is edited
WARMUP_N = 20  # specs in the untimed warm-up round

# ---------------------------------------------------------------------------------------------
# Spec generation


@dataclass(frozen=True)
class Domain:
    slug: str
    company: str
    what: str  # what the company does
    job: str  # what the agent does
    persona: str
    tags: tuple[str, ...]
    tools: tuple[str, ...]
    knowledge: tuple[str, ...]


DOMAINS = (
    Domain(
        "support",
        "Ledgerly",
        "an invoicing and bookkeeping app for small businesses",
        "answer product questions and solve account problems",
        "Alex",
        ("support", "inbound"),
        ("lookup_account", "create_ticket", "reset_password", "transfer_to_human"),
        ("product-faq", "billing-policy"),
    ),
    Domain(
        "sales",
        "Northwind Energy",
        "a green electricity supplier",
        "qualify leads and book a call with an energy adviser",
        "Sam",
        ("sales", "outbound"),
        ("check_postcode", "book_callback", "update_crm", "send_sms"),
        ("tariffs", "sales-playbook"),
    ),
    Domain(
        "booking",
        "Harbor Dental",
        "a group of dental practices",
        "book, move and cancel appointments",
        "Jordan",
        ("scheduling", "inbound"),
        ("check_availability", "book_slot", "cancel_slot", "send_sms"),
        ("practice-info",),
    ),
    Domain(
        "survey",
        "CityTransit",
        "the city's bus and tram operator",
        "run a short satisfaction survey after a journey",
        "Robin",
        ("survey", "outbound", "research"),
        ("record_answer", "opt_out"),
        (),
    ),
    Domain(
        "claims",
        "Meridian Insurance",
        "a home and car insurer",
        "take the first notice of loss for a new claim",
        "Casey",
        ("claims", "inbound", "regulated"),
        ("lookup_policy", "open_claim", "upload_link", "transfer_to_human"),
        ("claims-guide", "policy-wording"),
    ),
    Domain(
        "recruiting",
        "Brightpath Staffing",
        "a staffing agency for warehouse and logistics jobs",
        "screen applicants and schedule interviews",
        "Taylor",
        ("recruiting", "outbound"),
        ("lookup_candidate", "schedule_interview", "update_ats"),
        ("job-descriptions",),
    ),
    Domain(
        "collections",
        "Fairway Finance",
        "a consumer lender",
        "remind customers of overdue payments and agree a payment plan",
        "Morgan",
        ("collections", "outbound", "regulated"),
        ("lookup_balance", "create_payment_plan", "send_payment_link"),
        ("hardship-policy", "payment-options"),
    ),
    Domain(
        "onboarding",
        "Stackwise",
        "a project management tool for agencies",
        "walk new customers through setting up their workspace",
        "Riley",
        ("onboarding", "inbound", "web"),
        ("lookup_workspace", "send_invite", "create_ticket"),
        ("getting-started", "integrations"),
    ),
)

TEAMS = ("voice-platform", "customer-ops", "growth", "care", "revenue", "research")
OWNERS = ("ana.silva", "ben.okafor", "chen.wei", "dana.kim", "eli.novak", "fatima.haddad")
LANGUAGES = ("en", "en", "en", "en-GB", "de", "fr", "es", "pt-BR")
MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "claude-3-5-haiku", "gemini-2.0-flash")

# Optional variables (with a default) that prompts use; the first text goes into the prompt.
OPTIONAL_VARS = (
    ("plan_tier", "The customer's plan tier, shared by the web session.", "unknown"),
    ("region", "Sales region of the caller, from the phone number.", "EU"),
    ("preferred_channel", "How the customer prefers to be contacted.", "phone"),
    ("account_age_days", "Days since the account was created.", 0),
    ("open_tickets", "Number of open support tickets for this customer.", 0),
    ("campaign", "Marketing campaign that produced the lead.", "organic"),
    ("vip", "True for customers in the key-account programme.", False),
    ("last_contact", "Date of the last conversation with this customer, ISO 8601.", "never"),
)

DATA_FIELDS = (
    ("outcome", "string", "Outcome of the call in one phrase: resolved, escalated or no-action."),
    ("resolved", "boolean", "True if the caller confirmed the request was handled on the call."),
    ("callback_requested", "boolean", "True if the caller asked to be called back later."),
    ("callback_time", "string", "Agreed callback time, ISO 8601 with UTC offset; empty if none."),
    ("satisfaction", "integer", "Satisfaction score the caller gave from 1 to 5; 0 if none."),
    ("topic", "string", "Main topic of the conversation in at most five words."),
    ("sentiment", "string", "Overall caller sentiment: positive, neutral or negative."),
    ("amount_discussed", "number", "Largest amount of money discussed, in the account currency."),
    ("follow_up_needed", "boolean", "True if a human must follow up after the call."),
    ("summary", "string", "Two sentences on what the caller wanted and what was agreed."),
    ("competitor_mentioned", "string", "Name of a competitor the caller mentioned; empty if none."),
    ("opted_out", "boolean", "True if the caller asked not to be contacted again."),
)

CRITERIA = (
    ("verified_first", "No personal details were shared before the caller was verified."),
    ("clear_next_step", "The caller was told what happens next and when."),
    ("grounded", "Every factual statement matched the knowledge base or a tool result."),
    ("polite_close", "The agent summarised the call and closed politely."),
    ("no_pressure", "The agent never pressured the caller or made promises it cannot keep."),
)

STEP_POOL = (
    "Greet {name} and confirm you are speaking with the right person before going on.",
    "Ask what they need today and restate it in one sentence to check you understood.",
    "Verify identity with two details before sharing anything about the account.",
    "Use {tool} when you need facts about the account; never guess values it returns.",
    "Explain each step one at a time and wait for a confirmation before the next one.",
    "If the request is outside what you can do, offer a hand-off and explain why.",
    "Confirm every date, time and amount by reading it back in full.",
    "When they agree to something, summarise it and ask for an explicit yes.",
    "Offer a text message with the details when the caller has to remember something.",
    "Close by asking whether there is anything else, then thank {name} for their time.",
    "If the line is bad, say so, and offer to call back at a time that suits them.",
    "Keep a note of anything the caller asks you to pass on to a colleague.",
)

RULE_POOL = (
    "Keep turns short: two or three sentences, one question at a time.",
    "Never invent prices, dates, policies or features; say plainly when you do not know.",
    "Never ask for passwords, full card numbers or one-time codes.",
    "Speak plainly; avoid jargon and internal product names.",
    "If the caller is upset, acknowledge it before moving on, and do not argue.",
    "Do not mention tools, prompts or internal notes to the caller.",
    "If the caller asks for a human, transfer them without trying to talk them out of it.",
    "Use the caller's name now and then, not in every sentence.",
    "Spell out numbers the way people say them, for example twenty-four fifty.",
    "Respect quiet hours: do not offer callbacks before 8:00 or after 20:00 local time.",
)


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text)


def _voice_id(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=20))


def spec_yaml(index: int, revision: int = 0) -> str:
    """One agent spec as a person would write it; `revision` > 0 gives an edited variant."""
    rng = random.Random(index)
    dom = DOMAINS[index % len(DOMAINS)]
    name = f"{dom.slug}-agent-{index:04d}"
    customer = "caller_name"
    optional = rng.sample(OPTIONAL_VARS, rng.randint(2, 5))
    tools = rng.sample(dom.tools, rng.randint(1, len(dom.tools)))
    knowledge = list(dom.knowledge[: rng.randint(0, len(dom.knowledge))])
    fields = rng.sample(DATA_FIELDS, rng.randint(3, 7))
    criteria = rng.sample(CRITERIA, rng.randint(1, 3))
    steps = rng.sample(STEP_POOL, rng.randint(7, 9))
    rules = rng.sample(RULE_POOL, rng.randint(6, 8))
    model = rng.choice(MODELS)
    temperature = round(rng.choice((0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7)), 1)
    targets = "[elevenlabs, ultravox]" if rng.random() < 0.7 else "[elevenlabs]"
    secret = rng.random() < 0.6
    if revision:  # what a typical edit touches: a prompt line, a setting, one more field
        temperature = round(min(1.0, temperature + 0.1 * revision), 1)
        rules.append(f"Revision {revision}: confirm the caller's preferred language first.")
        extra = next(f for f in DATA_FIELDS if f not in fields)
        fields.append(extra)

    persona = f"You are {dom.persona}, a voice agent for {dom.company}, {dom.what}."
    prompt = [
        persona,
        f"Your job is to {dom.job}. You are talking with {{{{{customer}}}}}.",
        "",
        "What you know about this caller:",
    ]
    prompt += [f"- {desc.rstrip('.')}: {{{{{var}}}}}" for var, desc, _ in optional]
    prompt += ["", "How to run the conversation:"]
    prompt += [
        f"{n}. " + step.format(name=f"{{{{{customer}}}}}", tool=tools[0])
        for n, step in enumerate(steps, 1)
    ]
    prompt += ["", "Tools you may call:"]
    prompt += [f"- {t}: use it only when the caller's request needs it." for t in tools]
    prompt += ["", "Rules:"]
    prompt += [f"- {rule}" for rule in rules]
    if knowledge:
        prompt += ["", "Answer product and policy questions only from the knowledge base."]
    first = f"Hi {{{{{customer}}}}}, this is {dom.persona} from {dom.company}. How can I help?"

    out = [
        f"# Benchmark agent {index}: {dom.job} for {dom.company}.",
        f"name: {name}",
        f"description: {_quoted(f'{dom.company} {dom.slug} agent: {dom.job}.')}",
        f"tags: [{', '.join(dom.tags)}]",
        "metadata:",
        f"  owner: {rng.choice(OWNERS)}",
        f"  team: {rng.choice(TEAMS)}",
        f"  cost_center: {1000 + index % 37}",
        f"targets: {targets}",
        f"language: {rng.choice(LANGUAGES)}",
        "",
        "system_prompt: |",
        *[f"  {line}" if line else "" for line in prompt],
        f"first_message: {_quoted(first)}",
        "",
        "llm:",
        f"  model: {model}",
        f"  temperature: {temperature}",
        f"  max_tokens: {rng.choice((250, 300, 400, 500))}",
        "",
        "voice:",
        f"  id: {_voice_id(rng)}",
        f"  stability: {rng.choice((0.4, 0.5, 0.55, 0.6))}",
        f"  similarity_boost: {rng.choice((0.7, 0.75, 0.8))}",
        f"  speed: {rng.choice((0.95, 1.0, 1.05))}",
        "",
        "variables:",
        f"  {customer}:",
        "    description: The caller's first name from the CRM.",
        "    required: true",
    ]
    for var, desc, default in optional:
        shown = _quoted(default) if isinstance(default, str) else json.dumps(default)
        out += [f"  {var}:", f"    description: {_quoted(desc)}", f"    default: {shown}"]
    if secret:
        out += [
            "  api_token:",
            f"    description: Token for the {dom.company} API; tool headers only.",
            "    required: true",
            "    secret: true",
        ]
    out += ["", f"tools: [{', '.join(tools)}]"]
    if knowledge:
        out.append(f"knowledge: [{', '.join(f'{dom.slug}-{k}' for k in knowledge)}]")
    out += ["", "data_collection:"]
    for field, kind, desc in fields:
        out += [f"  {field}:", f"    type: {kind}", f"    description: {_quoted(desc)}"]
    out += ["", "evaluation:"]
    for key, goal in criteria:
        out += [f"  {key}:", f"    name: {_quoted(key.replace('_', ' ').capitalize())}"]
        out += [f"    goal: {_quoted(goal)}"]
    out += [
        "",
        "providers:",
        "  elevenlabs:",
        "    conversation_config:",
        "      conversation:",
        f"        max_duration_seconds: {rng.choice((300, 600, 900))}",
    ]
    if "ultravox" in targets:
        out += ["  ultravox:", "    model: ultravox-v0.7", "    maxDuration: 600s"]
    return "\n".join(out) + "\n"


def write_specs(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"agent-{i:04d}.yaml").write_text(spec_yaml(i))


def edit_specs(folder: Path, count: int) -> int:
    """Rewrite one file in EDIT_EVERY in place with an edited spec; return how many."""
    edited = 0
    for i in range(0, count, EDIT_EVERY):
        (folder / f"agent-{i:04d}.yaml").write_text(spec_yaml(i, revision=1))
        edited += 1
    return edited


# ---------------------------------------------------------------------------------------------
# Running the CLI


class BenchError(RuntimeError):
    pass


def parley(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, Any]:
    """Run `parley ARGS`; return (seconds, parsed JSON stdout or None)."""
    cmd = [str(tool("parley")), *args]
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise BenchError(
            f"`parley {' '.join(args)}` exited with {done.returncode} after {elapsed:.2f} s\n"
            f"stdout: {done.stdout[-2000:]}\nstderr: {done.stderr[-2000:]}"
        )
    data = json.loads(done.stdout) if "--json" in args else None
    return elapsed, data


def expect(op: str, data: Any, wanted: dict[str, int]) -> None:
    """Check the actions a plan/apply reported, e.g. {"create": 500}."""
    problems = [p for p in data.get("problems", []) if p.get("severity") == "error"]
    if problems:
        raise BenchError(f"{op}: the generated specs have errors: {problems[:3]}")
    seen = dict(Counter(item["action"] for item in data["items"]))
    if seen != wanted:
        raise BenchError(f"{op}: expected actions {wanted}, got {seen}")
    updates = [item for item in data["items"] if item["action"] == "update"]
    if op.startswith("plan, ") and not all(item["changes"] for item in updates):
        raise BenchError(f"{op}: an update came without field changes")


OPS = (
    "plan, all create",
    "apply, all create",
    "plan, all unchanged",
    "plan, 10% updated",
    "apply, 10% updated",
)


def one_round(specs: Path, work: Path, count: int, env: dict[str, str]) -> dict[str, float]:
    """One fresh database: upgrade (untimed), then the five timed commands."""
    folder = work / "agents"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(specs, folder)
    target = str(folder)
    times: dict[str, float] = {}
    times["db upgrade (untimed)"], _ = parley(["db", "upgrade"], env, work)

    def timed(op: str, args: list[str], wanted: dict[str, int]) -> None:
        times[op], data = parley(args, env, work)
        expect(op, data, wanted)

    edits = len(range(0, count, EDIT_EVERY))
    timed(OPS[0], ["agents", "plan", target, "--json"], {"create": count})
    timed(OPS[1], ["agents", "apply", target, "-m", "bench", "--json"], {"create": count})
    timed(OPS[2], ["agents", "plan", target, "--json"], {"unchanged": count})
    edit_specs(folder, count)
    rest = {"unchanged": count - edits} if count > edits else {}
    timed(OPS[3], ["agents", "plan", target, "--json"], {"update": edits, **rest})
    timed(OPS[4], ["agents", "apply", target, "-m", "bench", "--json"], {"update": edits, **rest})
    _, after = parley(["agents", "plan", target, "--json"], env, work)
    expect("plan after the update", after, {"unchanged": count})
    return times


# ---------------------------------------------------------------------------------------------
# Backends: a fresh SQLite file or a fresh PostgreSQL database per round


@dataclass(frozen=True)
class Python:
    """How the CLI's interpreter caches bytecode (see --pycache)."""

    pycache: str
    folder: Path

    def env(self, **extra: str) -> dict[str, str]:
        return clean_env(self.pycache, self.folder, **extra)


@contextmanager
def sqlite_env(work: Path, python: Python) -> Iterator[dict[str, str]]:
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    try:
        yield python.env(PARLEY_DATA_DIR=str(data))
    finally:
        shutil.rmtree(data, ignore_errors=True)


class Postgres:
    def __init__(self, url: str, admin_db: str) -> None:
        parts = urlsplit(url)
        if not parts.scheme.startswith("postgresql"):
            raise SystemExit(f"--postgres wants a postgresql+asyncpg:// URL, got {url!r}")
        self.parts = parts
        self.base = parts.path.lstrip("/") or "parley_bench"
        self.admin_db = admin_db
        self.psql_env = dict(os.environ)
        if parts.password:
            self.psql_env["PGPASSWORD"] = unquote(parts.password)
        self.server = f"{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"

    def psql(self, sql: str) -> None:
        cmd = [
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            self.parts.hostname or "127.0.0.1",
        ]
        cmd += [
            "-p",
            str(self.parts.port or 5432),
            "-U",
            unquote(self.parts.username or "postgres"),
        ]
        cmd += ["-d", self.admin_db, "-c", sql]
        done = subprocess.run(cmd, env=self.psql_env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BenchError(f"psql -c {sql!r} failed: {done.stderr.strip()}")

    @contextmanager
    def env(self, suffix: str, work: Path, python: Python) -> Iterator[dict[str, str]]:
        name = f"{self.base}_{os.getpid()}_{suffix}"
        self.psql(f'DROP DATABASE IF EXISTS "{name}"')
        self.psql(f'CREATE DATABASE "{name}"')
        try:
            url = urlunsplit(self.parts._replace(path=f"/{name}"))
            yield python.env(PARLEY_DATABASE_URL=url, PARLEY_DATA_DIR=str(work / "data"))
        finally:
            self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# Report


def summarise(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {op: median([r[op] for r in rounds]) for op in rounds[0]}


def report(backend: str, results: dict[int, dict[str, float]]) -> str:
    sizes = sorted(results)
    head = ["operation", *(f"N={n}" for n in sizes)]
    cost = [
        [op, *(f"{results[n][op]:.2f} s · {1000 * results[n][op] / n:.1f} ms/spec" for n in sizes)]
        for op in OPS
    ]
    step = []
    for op in OPS:
        cells = ["-"]
        for prev, n in itertools.pairwise(sizes):
            cells.append(f"{1000 * (results[n][op] - results[prev][op]) / (n - prev):.2f}")
        step.append([op, *cells])
    lines = [
        f"#### {backend}: median seconds per command, and milliseconds per spec (seconds / N)",
        "",
        table(head, cost),
        "",
        f"#### {backend}: added milliseconds per added spec, from the previous size",
        "",
        table(["operation", *(f"→ N={n}" for n in sizes)], step),
    ]
    if 500 in results:
        worst = max(results[500][op] for op in OPS if op.startswith("plan"))
        verdict = "met" if worst < GOAL_PLAN_500_S else "NOT met"
        lines += [
            "",
            f"Goal plan of 500 specs < {GOAL_PLAN_500_S:.0f} s: slowest plan at N=500 took "
            f"{worst:.2f} s, {verdict}.",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[50, 100, 250, 500],
        help="spec counts (50 100 250 500)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="fresh databases per size (3)")
    parser.add_argument("--postgres", metavar="URL", help="also run on PostgreSQL at this URL")
    parser.add_argument("--pg-admin-db", default="test", help="database psql connects to (test)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite runs")
    parser.add_argument("--pycache", choices=PYCACHE_MODES, default="warm", help=PYCACHE_HELP)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.rounds < 1 or min(args.sizes) < 1:
        parser.error("--rounds and every size must be at least 1")
    if args.no_sqlite and not args.postgres:
        parser.error("--no-sqlite needs --postgres")

    backends: list[tuple[str, Postgres | None]] = []
    if not args.no_sqlite:
        backends.append(("SQLite", None))
    if args.postgres:
        backends.append(("PostgreSQL", Postgres(args.postgres, args.pg_admin_db)))

    info = machine()
    print(f"Machine: {machine_line(info)}", flush=True)
    sizes = sorted(set(args.sizes))
    tmp = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    python = Python(args.pycache, tmp / "pycache")
    out: dict[str, Any] = {
        "benchmark": "plan_apply",
        "machine": info,
        "sizes": sizes,
        "rounds": args.rounds,
        "edited_fraction": 1 / EDIT_EVERY,
        "pycache": args.pycache,
        "goal_plan_500_s": GOAL_PLAN_500_S,
        "backends": {},
    }
    tables = []
    work = tmp / "work"
    work.mkdir()

    def run_round(backend: str, pg: Postgres | None, n: int, label: str) -> dict[str, float]:
        specs = tmp / f"specs-{n}"
        if not specs.exists():
            write_specs(specs, n)
        ctx = sqlite_env(work, python) if pg is None else pg.env(f"{n}_{label}", work, python)
        with ctx as env:
            times = one_round(specs, work, n, env)
        shown = ", ".join(f"{op} {times[op]:.2f}s" for op in OPS)
        print(f"  {backend} N={n} {label}: {shown}", flush=True)
        return times

    try:
        for backend, pg in backends:
            # Untimed: fills the bytecode cache (with --pycache warm) and the OS file cache,
            # and checks every step works before the long run.
            run_round(backend, pg, WARMUP_N, "warm-up")
            results: dict[int, dict[str, float]] = {}
            raw: dict[int, list[dict[str, float]]] = {}
            for n in sizes:
                rounds = [run_round(backend, pg, n, f"round{r + 1}") for r in range(args.rounds)]
                raw[n] = rounds
                results[n] = summarise(rounds)
            out["backends"][backend] = {
                "server": None if pg is None else pg.server,
                "median_s": {str(n): results[n] for n in sizes},
                "rounds_s": {str(n): raw[n] for n in sizes},
            }
            tables.append(report(backend, results))
    except BenchError as exc:
        print(f"\nFAILED: {exc}\n(temporary files kept in {tmp})", file=sys.stderr)
        sys.exit(1)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    print()
    print(
        f"{args.rounds} round(s) per size, each on a fresh database; 1 file in {EDIT_EVERY} "
        "edited for the update rows; ms/spec divides by all N files read.\n"
    )
    print("\n\n".join(tables))
    path = write_json("plan_apply.json", out)
    print(f"\nWrote {path}")


if __name__ == "__main__":
    main()
