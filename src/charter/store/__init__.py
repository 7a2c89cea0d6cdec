"""Files on disk: finding and reading a registry's entry files (`loader`), the parse cache that remembers what
reading them found (`cache`) and what a search needs of each (`facts`), and writes that are whole or nothing
(`transaction`: atomic files, the repository lock, the crash journal).
"""
