"""A branch's yearly ledger (台账, docs/product.md "The branch ledger"): what inspectors ask
for on paper, as one ZIP: a PDF of every record of the year with a table of contents, an
index of every record (目录.xlsx) and the originals. `contents` reads the year, `render`
writes the files, `services` requests, builds and hands them out."""
