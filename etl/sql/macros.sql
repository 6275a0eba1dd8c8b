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

-- A deadline written as a number of calendar days (15自然日, 15个自然日内, 7个日历日): natural days from receipt, the same
-- time of day N days later (staging turns them into due_at). A bare number is read so only under a header such as
-- 办理时限（自然日） (etl.staging.apply_deadline_unit); 15天 in a cell stays working days (day_count).
create or replace temp macro calendar_day_count(s) as (
    case when regexp_full_match(s, '\s*\d{1,3}\s*[个個]?(自然日|日历日|日曆日|自然天)[内內]?\s*')
        then nullif(cast(regexp_extract(s, '\d{1,3}') as integer), 0) end
);

-- A cell as text: trimmed of spaces (what trim() removes: the 17 Unicode space separators), empty
-- means null. trim() walks the whole string, so it runs only on a cell that starts or ends with one.
create or replace temp macro cell(s) as (
    case when unicode(s) in (32, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8239, 8287, 12288)
              or regexp_matches(s, '[ \x{A0}\x{1680}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]$')
         then nullif(trim(s), '') else nullif(s, '') end
);
