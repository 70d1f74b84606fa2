"""Curation: evidence added from spreadsheets (templates), the problem table that refuses a
broken one, review states (draft → submitted → accepted, or deprecated), and the diff between
two builds or releases."""
