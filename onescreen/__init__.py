"""OneScreen (一屏): the library the pages and the ETL share."""
