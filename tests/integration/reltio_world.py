# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values of the integration tests' world, secrets included. None of the secrets may ever be printed."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RELTIO_TOKEN = "rlt-static-token-5Jq8xW2vN7pK4mZ1"
RELTIO_CLIENT_ID = "rlt-client-id-H3kP9sQ2"
RELTIO_CLIENT_SECRET = "rlt-client-secret-b7Yt4Rv1Lm8Qx2Zc"
DATABRICKS_CLIENT_SECRET = "dbx-secret-Tq6Wn3Hs9Kd2Pv5Ya8"
SECRETS = {
    "Reltio access token": RELTIO_TOKEN,
    "Reltio client id": RELTIO_CLIENT_ID,
    "Reltio client secret": RELTIO_CLIENT_SECRET,
    "Databricks client secret": DATABRICKS_CLIENT_SECRET,
}

WORKSPACE_URL = "https://adb-1234567890123456.7.azuredatabricks.net"
WAREHOUSE_ID = "ab1c2d3ef5g6h7i8"
DATABRICKS_CLIENT_ID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
