"""The city's data as an XLSX workbook (export, dry-run import, apply), CSV and JSON.

- layout: the rows and columns, and the XLSX, CSV and JSON a city downloads;
- reading: a filled workbook read back within bounds, checked like the wizard, applied;
- pending: uploads kept between the dry run and the apply.
"""

from intake.services.evidence import MAX_UNPACKED_BYTES
from intake.services.workbook.layout import (
    COLUMNS,
    column_headers,
    export_csv,
    export_json,
    export_rows,
    export_rows_from,
    export_xlsx,
)
from intake.services.workbook.pending import clean_pending, drop_pending, keep_pending, load_pending
from intake.services.workbook.reading import (
    MAX_IMPORT_BYTES,
    Change,
    ImportPlan,
    WorkbookError,
    apply_import,
    plan_import,
    read_workbook,
)

__all__ = ["COLUMNS", "MAX_IMPORT_BYTES", "MAX_UNPACKED_BYTES", "Change", "ImportPlan",
           "WorkbookError", "apply_import", "clean_pending", "column_headers", "drop_pending",
           "export_csv", "export_json", "export_rows", "export_rows_from", "export_xlsx",
           "keep_pending", "load_pending", "plan_import", "read_workbook"]
