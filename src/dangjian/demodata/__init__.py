"""Demo and city data: a Hanzhong-shaped organization tree with members and demo logins
(`seeding`), and past months of theme days held, closed and scored (`simulation`), for
`make demo`, the benchmarks and the tests. Not a domain app: it writes what the domain
apps' services would have written, and owns no data of its own."""
