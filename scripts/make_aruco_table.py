"""Write hwrender/sheets/aruco_5x5_1000.json: the bits of every marker of OpenCV's DICT_5X5_1000.

The templates draw their corner marks from this table so that making a sheet needs no OpenCV;
extraction detects them with OpenCV. Run it again only if the table is lost (a test compares the
table with cv2 when cv2 is installed):

    python scripts/make_aruco_table.py
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2

OUT = Path(__file__).resolve().parents[1] / "hwrender" / "sheets" / "aruco_5x5_1000.json"


def marker_codes() -> list[int]:
    """Each marker's 5 x 5 data bits as one 25-bit number: row-major, the top-left bit the most
    significant, 1 = white (OpenCV's convention), the black border not included."""
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_5X5_1000)
    codes = []
    for marker in range(1000):
        image = cv2.aruco.generateImageMarker(dictionary, marker, 7, borderBits=1)  # 1 px a module
        code = 0
        for bit in (image[1:6, 1:6] > 127).ravel():
            code = code << 1 | int(bit)
        codes.append(code)
    return codes


def main() -> None:
    from hwrender.atomic import write_atomic

    table = {"dictionary": "DICT_5X5_1000", "bits": 5, "border": 1,
             "encoding": "row-major, top-left bit most significant, 1 = white",
             "markers": marker_codes()}
    write_atomic(OUT, json.dumps(table, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({len(table['markers'])} markers)")


if __name__ == "__main__":
    main()
