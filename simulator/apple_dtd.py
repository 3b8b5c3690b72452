"""The internal DTD Apple writes at the top of export.xml (ELEMENT/ATTLIST only, no ENTITY).

`dtd(ios16=False)` is the current one (HealthKit Export Version 14). `dtd(ios16=True)` is the
Version 12 subset iOS 16 wrote, with its real defects: the VisionPrescription ATTLIST is never
closed, so strict parsers stop at the `<!ELEMENT RightEye` line (line 156 of the file), and stray
declarations plus an extra `>` sit before `]>`. The document body after the DTD is well formed.
"""

from __future__ import annotations

HK = "HKCharacteristicTypeIdentifier"
SAMPLE = "type! sourceName! sourceVersion device creationDate startDate! endDate!"
EYE = (
    "sphere sphereUnit cylinder cylinderUnit axis axisUnit add addUnit vertex vertexUnit "
    "prismAmount prismAmountUnit prismAngle prismAngleUnit farPD farPDUnit nearPD nearPDUnit "
    "baseCurve baseCurveUnit diameter diameterUnit"
)
EAR = "leftEarValue leftEarUnit rightEarValue rightEarUnit"
EAR_V14 = (
    "leftEarValue leftEarUnit leftEarMasked leftEarClampingRangeLowerBound "
    "leftEarClampingRangeUpperBound rightEarValue rightEarUnit rightEarMasked "
    "rightEarClampingRangeLowerBound rightEarClampingRangeUpperBound"
)
CORRELATION_NOTE = (
    "<!-- Note: Any Records that appear as children of a correlation also appear as top-level "
    "records in this document. -->"
)
HRV_NOTE = (
    "<!-- Note: Heart Rate Variability records captured by Apple Watch may include an associated "
    "list of instantaneous beats-per-minute readings. -->"
)


def _elements(ios16: bool) -> list[tuple[str, str, str, int]]:
    """(name, content model, attributes with `!` = #REQUIRED, name column width)."""
    me = " ".join(f"{HK}{c}!" for c in ("DateOfBirth", "BiologicalSex", "BloodType"))
    me += f" {HK}FitzpatrickSkinType!" + ("" if ios16 else f" {HK}CardioFitnessMedicationsUse!")
    workout_kids = "MetadataEntry|WorkoutEvent|WorkoutRoute"
    workout_kids += "" if ios16 else "|WorkoutStatistics"
    stats = "type! startDate! endDate! average minimum maximum sum" + ("" if ios16 else " unit")
    summary = (
        "dateComponents activeEnergyBurned activeEnergyBurnedGoal activeEnergyBurnedUnit "
        "appleMoveTime appleMoveTimeGoal appleExerciseTime appleExerciseTimeGoal "
        "appleStandHours appleStandHoursGoal"
    )
    body = "(ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord|Audiogram|"
    elements = [
        ("HealthData", body + "VisionPrescription)*)", "locale!", 0),
        ("ExportDate", "EMPTY", "value!", 0),
        ("Me", "EMPTY", me, 50 if ios16 else 60),
        ("Record", "((MetadataEntry|HeartRateVariabilityMetadataList)*)",
         "type! unit value sourceName! sourceVersion device creationDate startDate! endDate!", 14),
        ("Correlation", "((MetadataEntry|Record)*)", SAMPLE, 14),
        ("Workout", f"(({workout_kids})*)",
         "workoutActivityType! duration durationUnit totalDistance totalDistanceUnit "
         "totalEnergyBurned totalEnergyBurnedUnit sourceName! sourceVersion device creationDate "
         "startDate! endDate!", 22),
        ("WorkoutActivity", "((MetadataEntry)*)",
         "uuid! startDate! endDate duration durationUnit", 21),
        ("WorkoutEvent", "EMPTY" if ios16 else "((MetadataEntry)*)",
         "type! date! duration durationUnit", 21),
        ("WorkoutStatistics", "EMPTY", stats, 21),
        ("WorkoutRoute", "((MetadataEntry|FileReference)*)", SAMPLE.replace("type! ", ""), 14),
        ("FileReference", "EMPTY", "path!", 0),
        ("ActivitySummary", "EMPTY", summary, 25),
        ("MetadataEntry", "EMPTY", "key! value!", 6),
        ("HeartRateVariabilityMetadataList", "(InstantaneousBeatsPerMinute*)", "", 0),
        ("InstantaneousBeatsPerMinute", "EMPTY", "bpm! time!", 5),
        ("ClinicalRecord", "EMPTY", "type! identifier! sourceName! sourceURL! fhirVersion! "
         "receivedDate! resourceFilePath!", 18),
        ("Audiogram", "((MetadataEntry|SensitivityPoint)*)", SAMPLE, 14),
        ("SensitivityPoint", "EMPTY",
         "frequencyValue! frequencyUnit! " + (EAR if ios16 else EAR_V14), 17),
        ("VisionPrescription", "((RightEye|LeftEye|Attachment|MetadataEntry)*)",
         "type! dateIssued! expirationDate" + ("!" if ios16 else "") + " brand", 17),
        ("RightEye", "EMPTY", EYE, 17),
        ("LeftEye", "EMPTY", EYE, 17),
    ]  # fmt: skip
    return elements if ios16 else [*elements, ("Attachment", "EMPTY", "identifier", 17)]


def _attlist(name: str, attrs: str, width: int) -> list[str]:
    lines = [f"<!ATTLIST {name}"]
    for attr in attrs.split():
        required = attr.endswith("!")
        kind = "#REQUIRED" if required else "#IMPLIED"
        name_ = attr.rstrip("!")
        lines.append(f"  {name_.ljust(width) if len(name_) < width else name_ + ' '}CDATA {kind}")
    return [*lines, ">"]


def dtd(ios16: bool = False) -> str:
    """`<!DOCTYPE HealthData [ ... ]>` with a trailing newline."""
    lines = ["<!DOCTYPE HealthData [", f"<!-- HealthKit Export Version: {12 if ios16 else 14} -->"]
    for name, content, attrs, width in _elements(ios16):
        if name == "Correlation":
            lines.append(CORRELATION_NOTE)
        if name == "HeartRateVariabilityMetadataList":
            lines.append(HRV_NOTE)
        lines.append(f"<!ELEMENT {name} {content}>")
        if attrs:
            block = _attlist(name, attrs, width or len(max(attrs.split(), key=len)))
            if ios16 and name == "VisionPrescription":
                block = block[:-1]  # the unclosed ATTLIST of iOS 16
            lines.extend(block)
    if ios16:
        lines += ["  device           CDATA #IMPLIED", "<!ELEMENT MetadataEntry EMPTY>",
                  "<!ATTLIST MetadataEntry", "  key              CDATA #IMPLIED",
                  "  value            CDATA #IMPLIED", ">", ">"]  # fmt: skip
    return "\n".join([*lines, "]>"]) + "\n"
