-- Parsing helpers used by staging. Created as temporary macros on the load connection.

-- A date-time written in any of the formats real exports use, or an Excel serial number; null if none fits.
-- Time zones (Z, +08:00) are dropped: times are local (Asia/Shanghai) and stored naive.
create or replace temp macro parse_ts(s) as (
    case
        when s is null then null
        when regexp_full_match(s, '\d{5}(\.\d+)?') and try_cast(s as double) between 20000 and 80000
            then timestamp '1899-12-30' + to_microseconds((try_cast(s as double) * 86400000000)::bigint)
        else try_strptime(
            regexp_replace(replace(s, 'T', ' '), '(Z|[+-]\d\d:?\d\d)$', ''),
            ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M', '%Y-%m-%d',
             '%Y/%m/%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y/%m/%d',
             '%Y年%m月%d日 %H时%M分%S秒', '%Y年%m月%d日 %H时%M分', '%Y年%m月%d日 %H:%M:%S', '%Y年%m月%d日 %H:%M',
             '%Y年%m月%d日%H时%M分', '%Y年%m月%d日',
             '%Y%m%d%H%M%S', '%Y%m%d %H:%M:%S', '%Y%m%d',
             '%m/%d/%Y %I:%M:%S %p', '%m/%d/%Y %I:%M %p', '%m/%d/%Y %H:%M:%S', '%m/%d/%Y %H:%M', '%m/%d/%Y',
             '%Y.%m.%d %H:%M:%S', '%Y.%m.%d %H:%M', '%Y.%m.%d'])
    end
);

-- Look a normalised value up in parallel key/value lists (bound as parameters by the caller).
create or replace temp macro lookup(s, keys, vals) as (
    vals[list_position(keys, lower(trim(s)))]
);

-- A cell as text: trimmed, empty means null.
create or replace temp macro cell(s) as (nullif(trim(s), ''));
