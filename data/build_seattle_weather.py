"""Rebuild ``seattle_weather.csv`` from the Seattle record shipped by ``vega-datasets``.

The ``vega-datasets`` package carries, offline, NOAA's daily observations for
Seattle (2012-2015) converted to metric units: temperatures in degrees Celsius
with one decimal, precipitation in millimetres. The original observations were
whole degrees Fahrenheit and hundredths of an inch, so converting back and
rounding recovers them exactly.

Usage::

    uv run python data/build_seattle_weather.py            # rewrite the CSV
    uv run python data/build_seattle_weather.py --check    # compare only
"""

import argparse
import io
import sys
from pathlib import Path

import pandas as pd

OUTPUT = Path(__file__).with_name("seattle_weather.csv")
MM_PER_INCH = 25.4


def celsius_to_fahrenheit(celsius):
    """Convert degrees Celsius to whole degrees Fahrenheit (the station's unit)."""
    return (celsius * 9 / 5 + 32).round(0)


def build():
    """Return the bundled dataset as CSV text, built from ``vega-datasets``."""
    from vega_datasets import local_data

    raw = pd.read_csv(io.BytesIO(local_data.seattle_weather.raw()), parse_dates=["date"])
    frame = pd.DataFrame(
        {
            "tmax": celsius_to_fahrenheit(raw["temp_max"]),
            "tmin": celsius_to_fahrenheit(raw["temp_min"]),
            "rain": (raw["precipitation"] / MM_PER_INCH).round(2),
        }
    )
    frame.index = raw["date"].dt.strftime("%Y-%m-%d").rename("date")
    frame["tmax_tomorrow"] = frame["tmax"].shift(-1)
    # The last day has no "tomorrow" in the record; it cannot be a training example.
    frame = frame.iloc[:-1]
    return frame.to_csv(float_format="%g", lineterminator="\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the CSV differs from a rebuild")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text() == text
        print("up to date" if same else f"{OUTPUT.name} differs from a rebuild")
        return 0 if same else 1
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.name}: {text.count(chr(10)) - 1} days")
    return 0


if __name__ == "__main__":
    sys.exit(main())
