"""The summary reports: Form 05 (incidents of a period by national category and by how each was
handled: page, .docx, PDF, JSON), the statistics export (CSV, XLSX), the annual report on
information systems by level (.docx, .xlsx) and the managers' weekly digest (outbox). Every count
goes through the incidents and systems policies."""
