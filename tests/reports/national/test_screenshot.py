"""The README's picture of a Form 03: the first page of a generated PDF as PNG (pdftoppm).
Written to docs/screenshots/form03.png when CSIRT_SCREENSHOTS=1."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import csrf_from

SHOT = Path(__file__).resolve().parents[3] / "docs" / "screenshots" / "form03.png"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
def test_screenshot_form03_first_page(client, auth, world, tmp_path):
    auth.login(world["users"]["coordinator"])
    url = f"/incidents/{world['incident'].id}/reports/form03"
    token = csrf_from(client.get(url).get_data(as_text=True))
    saved = client.post(url, data={"csrf_token": token, "version": "0", "connectivity_provider": "VNPT Khánh Hòa",
                                   "detected_by": "Người dân phản ánh qua đường dây nóng",
                                   "support_requested": "Đề nghị hỗ trợ phân tích mã độc", "beyond_capacity": "yes",
                                   "national_security": "no"})
    assert saved.status_code == 302
    pdf = tmp_path / "form03.pdf"
    pdf.write_bytes(client.get(url + ".pdf").data)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    png = (tmp_path / "page.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    if os.environ.get("CSIRT_SCREENSHOTS"):
        SHOT.write_bytes(png)
