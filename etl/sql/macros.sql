-- Parsing helpers used by staging. Created as temporary macros on the load connection.

-- Minutes to add to a time written with a zone (…Z, …+00:00, …-0500) to make it Beijing time (UTC+8,
-- how times are stored); 0 for a time without a zone, which is already local.
create or replace temp macro tz_shift_minutes(s) as (
    case
        when not regexp_matches(s, '\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d:?\d\d)$') then 0
        when s like '%Z' then 480
        else 480 - (case when regexp_extract(s, '([+-])\d\d:?\d\d$', 1) = '-' then -1 else 1 end)
            * (cast(regexp_extract(s, '[+-](\d\d):?\d\d$', 1) as integer) * 60
               + cast(regexp_extract(s, '[+-]\d\d:?(\d\d)$', 1) as integer))
    end
);

-- A date-time written in any of the formats real exports use, or an Excel serial number; null if none fits.
-- Stored naive in Beijing time: a time with a zone (Z, +00:00) is converted, one without is kept.
-- A serial is rounded to the second: a double holds 08:47:13 as 08:47:12.999999 (and a serial written
-- with 6 decimals is off by up to 0.04 s), while exports and Excel's date cells have whole seconds.
create or replace temp macro parse_ts(s) as (
    case
        when s is null then null
        when regexp_full_match(s, '\d{5}(\.\d+)?') and try_cast(s as double) between 20000 and 80000
            then timestamp '1899-12-30' + to_seconds(round(try_cast(s as double) * 86400)::bigint)
        else try_strptime(
            regexp_replace(replace(s, 'T', ' '), '\s*(Z|[+-]\d\d:?\d\d)$', ''),
            ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M', '%Y-%m-%d',
             '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d',
             '%Y年%m月%d日 %H时%M分%S秒', '%Y年%m月%d日 %H时%M分', '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M',
             '%Y年%m月%d日%H时%M分', '%Y年%m月%d日',
             '%Y%m%d%H%M%S', '%Y%m%d %H:%M:%S', '%Y%m%d',
             '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %I:%M %p', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y',
             '%Y.%m.%d %H:%M:%S', '%Y.%m.%d %H:%M', '%Y.%m.%d'])
            + to_minutes(tz_shift_minutes(s))
    end
);

-- Look a normalised value up in parallel key/value lists (bound as parameters by the caller).
create or replace temp macro lookup(s, keys, vals) as (
    vals[list_position(keys, lower(trim(s)))]
);

-- A deadline written as a number of working days (15, 15个工作日, 15天, 3日内, 15个工作日内; traditional 15個工作日內)
-- instead of a date: the number. 内 ("within") only after a unit: a bare 15内 says neither days nor hours.
create or replace temp macro day_count(s) as (
    case when regexp_full_match(s, '\s*\d{1,3}\s*(([个個]?工作日|天|日)[内內]?)?\s*')
        then nullif(cast(regexp_extract(s, '\d{1,3}') as integer), 0) end
);

-- A deadline written as a number of hours (24小时, 48 小时, 2个小时, 1.5小时, 0.5h, 24 H, 24小时内; traditional 24小時,
-- 2個小時內) instead of a date: the number. Natural hours from receipt (staging turns them into due_at); a bare number
-- stays working days (day_count).
create or replace temp macro hour_count(s) as (
    case when regexp_full_match(s, '\s*\d{1,3}(\.\d{1,2})?\s*([个個]?小[时時]|[hH])[内內]?\s*')
        then nullif(try_cast(regexp_extract(s, '\d{1,3}(\.\d{1,2})?') as double), 0) end
);

-- A deadline written as a number of calendar days (15自然日, 15个自然日内, 7个日历日, 1.5自然日): natural days from receipt,
-- the same time of day N days later, a fraction as hours (1.5: 36 hours; staging turns them into due_at). A bare number
-- is read so only under a header such as 办理时限（自然日） (etl.staging.apply_deadline_unit); 15天 in a cell stays working
-- days (day_count).
create or replace temp macro calendar_day_count(s) as (
    case when regexp_full_match(s, '\s*\d{1,3}(\.\d{1,2})?\s*[个個]?(自然日|日历日|日曆日|自然天)[内內]?\s*')
        then nullif(try_cast(regexp_extract(s, '\d{1,3}(\.\d{1,2})?') as double), 0) end
);

-- The characters a cell is trimmed of: the 17 Unicode space separators (what trim() removes), the ASCII control
-- characters (tab, line breaks, \x0b, \x0c, NUL ... \x1f, DEL), NEL, LS, PS, and the invisible ones that copying
-- out of a web page or WeChat leaves (zero-width space, non-joiner and joiner U+200B-U+200D, word joiner U+2060, and
-- U+FEFF, a BOM in the middle of files joined together): a ticket number with a trailing U+200B was a second ticket.
-- Exports pad cells with tabs (a tab before a number keeps Excel from reading it as one) and CRs; the XLSX readers'
-- cells are trimmed of these too (etl.readers.CELL_TRIM). cell() and code_cell() look for them at either end before
-- trimming, so the list is written three times (tests/test_fast_paths.py keeps the three equal).
create or replace temp macro trim_cell(s) as (
    trim(s, array_to_string(list_transform(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
         31, 32, 127, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8203, 8204, 8205,
         8232, 8233, 8239, 8287, 8288, 12288, 65279], lambda c: chr(c)), ''))
);

-- A cell as text (free text, names): trimmed of those characters, empty means null; a line break inside stays.
-- trim_cell() walks the whole string, so it runs only on a cell that starts or ends with one (each extra function
-- on the path every cell takes costs ~0.2 s per million cells: docs/benchmarks.md).
create or replace temp macro cell(s) as (
    case when unicode(s) < 33 or unicode(s) in (127, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8203, 8204, 8205, 8232, 8233, 8239, 8287, 8288, 12288, 65279)
              or regexp_matches(s, '[\x00-\x20\x7f\x{85}\x{A0}\x{1680}\x{2000}-\x{200D}\x{2028}\x{2029}\x{202F}\x{205F}\x{2060}\x{3000}\x{FEFF}]$')
         then nullif(trim_cell(s), '') else nullif(s, '') end
);

-- A cell of a key, code, phone, number, time or vocabulary value: as cell(), and unwrapped of what systems write to
-- make Excel keep a long number as text, an Excel formula ="GDT2026110100001" or an apostrophe 'GDT2026110100001
-- (then trimmed again: ="	GDT…"). Not for free text, where an apostrophe may open a quotation ('门口'路灯不亮).
-- The same first test as cell(), with ' (39) and = (61) added: a plain cell takes no other function.
create or replace temp macro code_cell(s) as (
    case when unicode(s) < 33 or unicode(s) in (39, 61, 127, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8203, 8204, 8205, 8232, 8233, 8239, 8287, 8288, 12288, 65279)
              or regexp_matches(s, '[\x00-\x20\x7f\x{85}\x{A0}\x{1680}\x{2000}-\x{200D}\x{2028}\x{2029}\x{202F}\x{205F}\x{2060}\x{3000}\x{FEFF}]$')
         then nullif(trim_cell(regexp_replace(trim_cell(s), '^(?:="(.*)"|''(.*))$', '\1\2', 's')), '')
         else nullif(s, '') end
);

-- A code as codes are matched across files (网格编号, 小区编号, 社区编号, 街道编号): full-width letters, digits and signs
-- (ＷＧ００１, typed in a Chinese IME) half-width as NFKC makes them, upper case, no spaces (nor zero-width characters)
-- inside or out: WG 001, wg001 and ＷＧ００１ are WG001. Staging gives these fields in this form (etl.staging.cell_sql);
-- a grid column of tickets that holds names is matched against code_key(grid_name) (etl.load_tickets.GRID_NAMES).
-- translate() costs ~1.4 s per million cells, so it runs only on a cell with a full-width character, and a cell already
-- in the form (printable ASCII without lower case: the usual code) takes no function but the first test.
create or replace temp macro code_key(s) as (
    case when regexp_matches(s, '[^\x21-\x60\x7B-\x7E]')
         then upper(regexp_replace(
             case when regexp_matches(s, '[\x{FF01}-\x{FF5E}\x{3000}]')
                  then translate(s, '！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～　',
                                    '!"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~ ')
                  else s end,
             '[\s\x{85}\x{A0}\x{1680}\x{2000}-\x{200D}\x{2028}\x{2029}\x{202F}\x{205F}\x{2060}\x{FEFF}]+', '', 'g'))
         else s end
);
