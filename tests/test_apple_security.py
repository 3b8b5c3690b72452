"""Hostile exports: entity attacks and escaping paths are refused with the file and line named."""

import zipfile

import pytest

from assets.sources.apple_health.export import (
    AppleExport,
    UnsafeExportError,
    find_exports,
    safe_relative,
)
from assets.sources.apple_health.export_pass import ApplePass
from assets.sources.apple_health.routes import parse_gpx, read_routes
from assets.sources.gpx import GpxError
from tests.apple_builders import OWNER, export_xml, gpx, hr, write_export

XXE = """<!DOCTYPE HealthData [
<!ELEMENT HealthData ANY>
<!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
"""
LAUGHS = """<!DOCTYPE HealthData [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
"""


def run_pass(path):
    return ApplePass(find_exports(path)).hr_samples.collect()


def test_external_entity_refused(tmp_path):
    xml = export_xml(hr("2021-07-10 08:00:00 +0200", "70").replace(OWNER, "&xxe;"), dtd=XXE)
    write_export(tmp_path / "eve", xml)
    with pytest.raises(UnsafeExportError, match=r"export\.xml line 4: .*external entity 'xxe'"):
        run_pass(tmp_path)


def test_billion_laughs_refused(tmp_path):
    xml = export_xml(hr("2021-07-10 08:00:00 +0200", "70").replace(OWNER, "&lol2;"), dtd=LAUGHS)
    write_export(tmp_path / "eve", xml, zipped=True)
    with pytest.raises(UnsafeExportError, match=r"line 3: the DTD declares an entity 'lol'"):
        run_pass(tmp_path)


def test_zip_member_escaping_the_export_refused(tmp_path):
    write_export(tmp_path / "eve", export_xml(), zipped=True)
    with zipfile.ZipFile(tmp_path / "eve" / "export.zip", "a") as archive:
        archive.writestr("../../outside.txt", "x")
    with pytest.raises(UnsafeExportError, match=r"zip member '\.\./\.\./outside\.txt' escapes"):
        run_pass(tmp_path)


@pytest.mark.parametrize(
    "reference", ["/workout-routes/../../secret.gpx", "../x.gpx", "C:/x.gpx", "/", ""]
)
def test_file_references_may_not_escape(reference):
    with pytest.raises(UnsafeExportError, match="escapes the export folder"):
        safe_relative(reference, "FileReference")


def test_escaping_route_is_quarantined_and_the_rest_loads(tmp_path):
    ok = gpx([("2021-07-10T06:00:00Z", 52.5, 13.4, 2.5)])
    path = write_export(tmp_path / "anna", export_xml(), routes={"ok.gpx": ok})
    (tmp_path / "anna" / "secret.gpx").write_text(ok)
    routes = [("w1", "/workout-routes/../../secret.gpx"), ("w2", "/workout-routes/ok.gpx")]
    points, problems = read_routes(AppleExport(path, "anna"), [*routes, ("w3", "/missing.gpx")])
    assert points["workout_id"].to_list() == ["w2"]
    assert [(p["workout_id"], p["reason"]) for p in problems] == [
        ("w1", "FileReference '/workout-routes/../../secret.gpx' escapes the export folder"),
        ("w3", f"missing.gpx is not in {path}"),
    ]


def test_gpx_with_entities_refused():
    doc = gpx([("2021-07-10T06:00:00Z", 52.5, 13.4, 2.5)]).replace(
        "<gpx ", '<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<gpx ', 1
    )
    with pytest.raises(GpxError, match="DTD or entities"):
        parse_gpx(doc.encode())
