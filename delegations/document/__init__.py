"""The delegation document and the agent's acceptance: content, canonical XML, XSD, PDF.

Pure: bytes and values in, bytes and values out; no ORM. See docs/documents.md.
"""
