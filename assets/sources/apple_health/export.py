"""Where an Apple Health export lives (export.zip or its unzipped folder) and safe access to it.

Nothing is extracted to disk: export.xml is streamed from the zip and routes are read as members.
Member names and FileReference paths are checked so neither can reach outside the export folder.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

EXPORT_FOLDER = "apple_health_export"
EXPORT_XML = "export.xml"
ZIP_NAME = "export.zip"


class UnsafeExportError(ValueError):
    """The export tries something a real Health export never does (escaping paths, entities)."""


class RouteUnavailable(LookupError):
    """A FileReference that cannot be read; the workout loads without its route."""


def safe_relative(reference: str, what: str) -> PurePosixPath:
    """`reference` as a path inside the export folder, or UnsafeExportError naming it.

    Apple writes FileReference paths as '/workout-routes/x.gpx', relative to the export folder
    despite the leading slash; '..' parts or drive letters could point anywhere: refused.
    """
    path = PurePosixPath(reference.replace("\\", "/").lstrip("/"))
    if not path.parts or ".." in path.parts or ":" in path.parts[0]:
        raise UnsafeExportError(f"{what} {reference!r} escapes the export folder")
    return path


@dataclass(frozen=True)
class AppleExport:
    """One person's export: `path` is an export.zip or a folder holding export.xml."""

    path: Path
    user_id: str

    @property
    def is_zip(self) -> bool:
        return self.path.is_file()

    def _zip(self) -> zipfile.ZipFile:
        archive = zipfile.ZipFile(self.path)
        for name in archive.namelist():
            safe_relative(name, f"{self.path}: zip member")
        return archive

    def _folder(self) -> Path:
        nested = self.path / EXPORT_FOLDER
        return nested if (nested / EXPORT_XML).is_file() else self.path

    def _member(self, archive: zipfile.ZipFile, relative: PurePosixPath) -> str:
        """The zip member for a path inside the export folder (Apple nests it one level down)."""
        for candidate in (f"{EXPORT_FOLDER}/{relative}", str(relative)):
            if candidate in archive.NameToInfo:
                return candidate
        raise RouteUnavailable(f"{relative} is not in {self.path}")

    def xml_name(self) -> str:
        return (
            f"{self.path}!{EXPORT_FOLDER}/{EXPORT_XML}"
            if self.is_zip
            else str(self._folder() / EXPORT_XML)
        )

    @contextmanager
    def open_xml(self) -> Iterator[BinaryIO]:
        """export.xml as a byte stream (decompressed on the fly when zipped)."""
        if not self.is_zip:
            with open(self._folder() / EXPORT_XML, "rb") as stream:
                yield stream
            return
        with self._zip() as archive:
            try:
                member = self._member(archive, PurePosixPath(EXPORT_XML))
            except RouteUnavailable as missing:
                raise FileNotFoundError(f"{self.path} holds no {EXPORT_XML}") from missing
            with archive.open(member) as stream:
                yield stream

    @contextmanager
    def files(self) -> Iterator[Callable[[str], bytes]]:
        """A reader of FileReferences (e.g. '/workout-routes/route_2021-03-04_7.52am.gpx'),
        opening the zip once for however many files are read."""
        if not self.is_zip:
            yield self._read_from_folder
            return
        with self._zip() as archive:
            yield lambda reference: archive.read(
                self._member(archive, safe_relative(reference, "FileReference"))
            )

    def _read_from_folder(self, reference: str) -> bytes:
        relative = safe_relative(reference, "FileReference")
        target = self._folder() / relative
        if not target.is_file():
            raise RouteUnavailable(f"{relative} is not in {self._folder()}")
        return target.read_bytes()


def find_exports(root: Path) -> list[AppleExport]:
    """Every export under `root`: a zip or folder given directly, or one per sub-folder.

    The user id is the name of the folder holding the export (one export per person), so
    `apple_health/anna/export.zip` belongs to 'anna'.
    """
    if root.is_file() or (root / EXPORT_XML).is_file() or (root / EXPORT_FOLDER).is_dir():
        return [AppleExport(root, _owner(root))]
    found = []
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if (child / ZIP_NAME).is_file():
            found.append(AppleExport(child / ZIP_NAME, child.name))
        elif (child / EXPORT_FOLDER / EXPORT_XML).is_file():
            found.append(AppleExport(child / EXPORT_FOLDER, child.name))
    return found


def _owner(path: Path) -> str:
    named = path.parent if path.name in (ZIP_NAME, EXPORT_FOLDER) else path
    return named.stem
