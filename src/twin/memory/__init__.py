"""Memory: the journal and notes, and the recall index over them.

Notes and journal entries are stored in the vault (`store`), cut into heading-aware chunks
(`chunking`), embedded with all-MiniLM-L6-v2 (`embeddings`), indexed in sqlite-vec and FTS5
(`index`) and searched by both, fused by reciprocal rank (`recall`).
"""
