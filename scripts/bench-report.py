"""Turns criterion's estimates into a markdown table and an SVG chart.

Usage: bench-report.py CRITERION_DIR OUT.md OUT.svg
"""
import json
import os
import platform
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


def load(root):
    """{group: {function: (mean_ns, throughput-free)}} from criterion's files."""
    groups = defaultdict(dict)
    for dirpath, _dirs, files in os.walk(root):
        if "benchmark.json" in files and os.path.basename(dirpath) == "new":
            with open(os.path.join(dirpath, "benchmark.json")) as f:
                meta = json.load(f)
            with open(os.path.join(dirpath, "estimates.json")) as f:
                est = json.load(f)
            group = meta["group_id"]
            if meta.get("value_str"):
                group = f"{group}/{meta['value_str']}"
            func = meta.get("function_id") or "voipsec"
            groups[group][func] = est["mean"]["point_estimate"]
    return groups


def fmt(ns):
    return f"{ns:,.1f}" if ns < 100 else f"{ns:,.0f}"


def main(root, out_md, out_svg):
    groups = load(root)
    model, flags, cpus = machine()
    lines = [
        "# voipsec benchmark report",
        "",
        f"Machine: {model}, {cpus} cores; CPU features used by the crypto crates: "
        f"{', '.join(flags) or 'none detected'}.",
        "",
        "Ratio = peer ns / voipsec ns (above 1: voipsec is faster).",
        "",
        "| case | voipsec ns/op | peer | peer ns/op | ratio |",
        "|---|---:|---|---:|---:|",
    ]
    rows = []
    for group in sorted(groups):
        funcs = groups[group]
        ours = {k: v for k, v in funcs.items() if k.startswith("voipsec")}
        peers = {k: v for k, v in funcs.items() if not k.startswith("voipsec")}
        for name, ns in sorted(ours.items()):
            label = group if name == "voipsec" else f"{group} ({name})"
            if not peers:
                lines.append(f"| {label} | {fmt(ns)} | – | – | – |")
            for peer, pns in sorted(peers.items()):
                lines.append(f"| {label} | {fmt(ns)} | {peer} | {fmt(pns)} | {pns / ns:.2f}x |")
            rows.append((label, ns, peers))
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
    main(*sys.argv[1:4])
