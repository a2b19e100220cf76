"""Turns criterion's estimates into a markdown table and an SVG chart.

Usage: bench-report.py OUT.md OUT.svg CRITERION_DIR [CRITERION_DIR...]

With several directories (one per run of the same benches), each case's
ns/op are medians over the runs, its ratio is the median of the per-run
ratios, and a last column gives each run's ratio in run order.
"""
import json
import os
import platform
import statistics
import sys
from collections import defaultdict


def machine():
    model, flags = platform.processor() or "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model in ("", "unknown", platform.processor()):
                    model = line.split(":", 1)[1].strip()
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    wanted = ["aes", "sha_ni", "pclmulqdq", "avx2", "avx512f", "vaes", "vpclmulqdq"]
    return model, [f for f in wanted if f in flags], os.cpu_count()


PEERS = ("rsip", "webrtc-srtp", "rtc-srtp", "governor", "libsrtp", "naive", "c_api", "floor")
# "floor" is not a peer but the lower bound an issue names (line indexing for
# SIP, the bare primitives for SRTP), measured in the same run: its row
# states how many floors voipsec takes instead of a speed ratio.
# The C API benchmark calls voipsec twice: "rust" is the direct call, and
# "c_api" the same call through include/voipsec.h (a ratio under 1 is its cost).
ALIASES = {"rust": "voipsec"}


def split_impl(parts):
    """(implementation, case) from an id's components: the implementation is
    the component (or its first word) naming voipsec or a peer."""
    for i, part in enumerate(parts):
        for sep in ("/", "_"):
            head, _, tail = part.partition(sep)
            if head == "voipsec" or head in PEERS or part in PEERS:
                impl = part if part in PEERS else head
                rest = parts[:i] + ([tail] if tail and part not in PEERS else []) + parts[i + 1:]
                return impl, "/".join(p for p in rest if p)
    return "voipsec", "/".join(parts)


def load(root):
    """{case: {implementation: mean_ns}} from criterion's files."""
    cases = defaultdict(dict)
    for dirpath, _dirs, files in os.walk(root):
        if "benchmark.json" in files and os.path.basename(dirpath) == "new":
            with open(os.path.join(dirpath, "benchmark.json")) as f:
                meta = json.load(f)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                est = json.load(f)
            parts = meta["group_id"].split("/") + (meta.get("function_id") or "").split("/")
            parts += [meta["value_str"]] if meta.get("value_str") else []
            parts = [ALIASES.get(p, p) for p in parts if p]
            impl, case = split_impl(parts)
            cases[case][impl] = est["mean"]["point_estimate"]
    return cases


def pair(cases):
    """Rows (case, voipsec ns, {peer: ns}): a peer is compared with the
    voipsec case of the same name; a group whose peer has no same-named
    voipsec case (governor beside voipsec_gcra and voipsec_sliding_window)
    compares it with every voipsec case of that group."""
    rows = []
    for case in sorted(cases):
        impls = cases[case]
        if "voipsec" not in impls:
            continue
        peers = {k: v for k, v in impls.items() if k != "voipsec"}
        if not peers:
            group = case.rsplit("/", 1)[0] if "/" in case else case
            for other in cases:
                if other.startswith(group + "/") or other == group:
                    if "voipsec" not in cases[other]:
                        peers.update({f"{k} ({other.split('/')[-1]})": v for k, v in cases[other].items()})
        rows.append((case, impls["voipsec"], peers))
    return rows


def fmt(ns):
    return f"{ns:,.1f}" if ns < 100 else f"{ns:,.0f}"


def is_floor(peer):
    """Whether a peer label names a floor row. A label is the implementation,
    followed by " (case)" when one row serves every voipsec case of its
    group (see `pair`)."""
    return peer.split(" (", 1)[0] == "floor"


def ratio_of(peer, ns, pns):
    """Peer ns / voipsec ns; for a floor row, voipsec ns / floor ns."""
    return ns / pns if is_floor(peer) else pns / ns


def median_rows(per_run):
    """Rows of medians over runs (one run is its own median), and each
    (case, peer)'s per-run ratios: a ratio is taken within one run (both
    rows measured minutes apart at most), then summarised, rather than
    divided from two medians of different runs."""
    medians, ratios = defaultdict(lambda: defaultdict(list)), defaultdict(list)
    for rows in per_run:
        for label, ns, peers in rows:
            medians[label]["voipsec"].append(ns)
            for peer, pns in peers.items():
                medians[label][peer].append(pns)
                ratios[(label, peer)].append(ratio_of(peer, ns, pns))
    rows = []
    for label in sorted(medians):
        impls = {k: statistics.median(v) for k, v in medians[label].items()}
        peers = {k: v for k, v in impls.items() if k != "voipsec"}
        rows.append((label, impls["voipsec"], peers))
    return rows, ratios


def main(out_md, out_svg, *roots):
    per_run = [pair(load(root)) for root in roots]
    model, flags, cpus = machine()
    runs = len(per_run)
    lines = [
        "# voipsec benchmark report",
        "",
        f"Machine: {model}, {cpus} cores; CPU features used by the crypto crates: "
        f"{', '.join(flags) or 'none detected'}.",
        "",
        "Ratio = peer ns / voipsec ns (above 1: voipsec is faster); for a floor row, "
        "voipsec ns / floor ns.",
        "",
    ]
    if runs > 1:
        lines += [
            f"{runs} runs: ns/op are medians over the runs; the ratio is the median of the "
            "per-run ratios (each taken within one run), then each run's ratio in run order.",
            "",
            "| case | voipsec ns/op | peer | peer ns/op | ratio (median) | per run |",
            "|---|---:|---|---:|---:|---|",
        ]
    else:
        lines += ["| case | voipsec ns/op | peer | peer ns/op | ratio |", "|---|---:|---|---:|---:|"]
    # One run is its own median: the same rows serve both layouts.
    rows, ratios = median_rows(per_run)
    for label, ns, peers in rows:
        if not peers:
            lines.append(f"| {label} | {fmt(ns)} | – | – | – |" + (" – |" if runs > 1 else ""))
        for peer, pns in sorted(peers.items()):
            unit = "x floor" if is_floor(peer) else "x"
            each = ratios[(label, peer)]
            line = f"| {label} | {fmt(ns)} | {peer} | {fmt(pns)} | {statistics.median(each):.2f}{unit} |"
            if runs > 1:
                line += f" {' '.join(f'{r:.2f}' for r in each)} |"
            lines.append(line)
    with open(out_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    write_svg(rows, out_svg)
    print("\n".join(lines))
    print(f"\nwrote {out_md} and {out_svg}")


def write_svg(rows, path):
    """One horizontal bar per implementation per case, log-free, scaled per case."""
    palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"]
    bar_h, gap, left, width = 14, 10, 330, 420
    y, parts = 30, []
    for label, ns, peers in rows:
        entries = [("voipsec", ns)] + sorted(peers.items())
        top = max(v for _, v in entries) or 1
        parts.append(f'<text x="4" y="{y + 10}" font-size="12" font-weight="bold">{esc(label)}</text>')
        y += 16
        for i, (name, v) in enumerate(entries):
            w = max(1, int(width * v / top))
            parts.append(f'<text x="{left - 6}" y="{y + 11}" font-size="11" text-anchor="end">{esc(name)}</text>')
            parts.append(f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" fill="{palette[i % len(palette)]}"/>')
            parts.append(f'<text x="{left + w + 4}" y="{y + 11}" font-size="11">{fmt(v)} ns</text>')
            y += bar_h + 2
        y += gap
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{y + 10}" '
           f'font-family="sans-serif"><text x="4" y="16" font-size="14">voipsec vs peers '
           f'(ns per operation, shorter is faster)</text>{"".join(parts)}</svg>\n')
    with open(path, "w") as f:
        f.write(svg)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
