#!/usr/bin/env python3
"""Two evaluations side by side (tools/train/evaluate.py's metrics.json and masses.py's
masses.json of the previous and the new weights) as the Markdown table of docs/model/README.md.

    python tools/train/compare.py --before /work/eval/v1 --after docs/model
"""
import argparse
import json
import os


def load(folder):
    with open(os.path.join(folder, "metrics.json")) as handle:
        metrics = json.load(handle)
    masses = {}
    path = os.path.join(folder, "masses", "masses.json")
    if os.path.exists(path):
        with open(path) as handle:
            masses = {row["case"]: row for row in json.load(handle)["rows"]}
    return {row["case"]: row for row in metrics["rows"]}, masses, metrics


def cell(row, key, digits):
    value = row.get(key) if row else None
    return "-" if value is None else f"{value:.{digits}f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", required=True)
    parser.add_argument("--after", required=True)
    args = parser.parse_args()
    before, masses_before, _ = load(args.before)
    after, masses_after, metrics_after = load(args.after)
    print("| case | role (v2) | reference | v1 Dice | v2 Dice | v1 mL | v2 mL | reference mL | v1 surface mm | v2 surface mm | v1 masses in % | v2 masses in % |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, row in after.items():
        old = before.get(name, {})
        print(f"| {name} | {row['role']} | {row.get('reference', '-')} | {cell(old, 'dice', 4)} | {cell(row, 'dice', 4)} | "
              f"{cell(old, 'lung_ml', 1)} | {cell(row, 'lung_ml', 1)} | {cell(row, 'reference_ml', 1)} | "
              f"{cell(old, 'surface_distance_mm', 2)} | {cell(row, 'surface_distance_mm', 2)} | "
              f"{cell(masses_before.get(name), 'inside_percent', 1)} | {cell(masses_after.get(name), 'inside_percent', 1)} |")
    if "monai_check" in metrics_after:
        print(f"\nlungseg vs MONAI on the new weights: {json.dumps(metrics_after['monai_check'])}")


if __name__ == "__main__":
    main()
