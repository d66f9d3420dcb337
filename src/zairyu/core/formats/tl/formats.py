"""Date, time and number formats for Tagalog, a language Django ships none for (issue 18).

Without them a Tagalog page fell back to the default language's names ("12月 22, 2026"). The
Philippine government writes dates as "Disyembre 22, 2026" and times on the 12-hour clock; the
month and weekday names come from locale_calendar/tl (Django has no Tagalog catalogue).
Format strings: https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date
"""

DATE_FORMAT = "F j, Y"
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "F j, Y, g:i A"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
SHORT_DATE_FORMAT = "m/d/Y"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
FIRST_DAY_OF_WEEK = 0  # Sunday
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
