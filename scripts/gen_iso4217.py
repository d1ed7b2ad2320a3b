#!/usr/bin/env python3
"""Generates src/common/iso4217_table.inc, the currency table behind lp::LookupCurrency.

Source: ISO 4217 "List One" (current currency & funds), published by SIX Financial Information
as the ISO 4217 maintenance agency (list-one.xml). The list below is that publication of
2024-06-25 (Pblshd="2024-06-25"), one line per distinct code. ICU's data is not used as the
source on purpose: ICU/CLDR gives "digits" for display and cash rounding, which differ from ISO's
minor units for a dozen currencies (see test/common/money_test.cpp), and Debian's iso-codes
package has no minor units at all.

Usage:
  scripts/gen_iso4217.py                      # write the table from the embedded list
  scripts/gen_iso4217.py --xml list-one.xml   # regenerate from a newer SIX publication
  scripts/gen_iso4217.py --check              # exit 1 if the checked-in table is stale

Codes whose minor units are "N.A." (precious metals XAU/XAG/XPT/XPD, bond-market units
XBA..XBD, XDR, XSU, XUA, the testing code XTS and "no currency" XXX) are left out: an amount in
them has no integer minor unit, so they cannot be a payment currency.
"""

import argparse
import pathlib
import sys
import xml.etree.ElementTree as ET

PUBLISHED = "2024-06-25"

# code numeric minor_units name   (minor_units "N.A." = excluded); IsFund entries marked "fund".
EMBEDDED = """
AED 784 2 UAE Dirham
AFN 971 2 Afghani
ALL 008 2 Lek
AMD 051 2 Armenian Dram
ANG 532 2 Netherlands Antillean Guilder
AOA 973 2 Kwanza
ARS 032 2 Argentine Peso
AUD 036 2 Australian Dollar
AWG 533 2 Aruban Florin
AZN 944 2 Azerbaijan Manat
BAM 977 2 Convertible Mark
BBD 052 2 Barbados Dollar
BDT 050 2 Taka
BGN 975 2 Bulgarian Lev
BHD 048 3 Bahraini Dinar
BIF 108 0 Burundi Franc
BMD 060 2 Bermudian Dollar
BND 096 2 Brunei Dollar
BOB 068 2 Boliviano
BOV 984 2 Mvdol (fund)
BRL 986 2 Brazilian Real
BSD 044 2 Bahamian Dollar
BTN 064 2 Ngultrum
BWP 072 2 Pula
BYN 933 2 Belarusian Ruble
BZD 084 2 Belize Dollar
CAD 124 2 Canadian Dollar
CDF 976 2 Congolese Franc
CHE 947 2 WIR Euro (fund)
CHF 756 2 Swiss Franc
CHW 948 2 WIR Franc (fund)
CLF 990 4 Unidad de Fomento (fund)
CLP 152 0 Chilean Peso
CNY 156 2 Yuan Renminbi
COP 170 2 Colombian Peso
COU 970 2 Unidad de Valor Real (fund)
CRC 188 2 Costa Rican Colon
CUC 931 2 Peso Convertible
CUP 192 2 Cuban Peso
CVE 132 2 Cabo Verde Escudo
CZK 203 2 Czech Koruna
DJF 262 0 Djibouti Franc
DKK 208 2 Danish Krone
DOP 214 2 Dominican Peso
DZD 012 2 Algerian Dinar
EGP 818 2 Egyptian Pound
ERN 232 2 Nakfa
ETB 230 2 Ethiopian Birr
EUR 978 2 Euro
FJD 242 2 Fiji Dollar
FKP 238 2 Falkland Islands Pound
GBP 826 2 Pound Sterling
GEL 981 2 Lari
GHS 936 2 Ghana Cedi
GIP 292 2 Gibraltar Pound
GMD 270 2 Dalasi
GNF 324 0 Guinean Franc
GTQ 320 2 Quetzal
GYD 328 2 Guyana Dollar
HKD 344 2 Hong Kong Dollar
HNL 340 2 Lempira
HTG 332 2 Gourde
HUF 348 2 Forint
IDR 360 2 Rupiah
ILS 376 2 New Israeli Sheqel
INR 356 2 Indian Rupee
IQD 368 3 Iraqi Dinar
IRR 364 2 Iranian Rial
ISK 352 0 Iceland Krona
JMD 388 2 Jamaican Dollar
JOD 400 3 Jordanian Dinar
JPY 392 0 Yen
KES 404 2 Kenyan Shilling
KGS 417 2 Som
KHR 116 2 Riel
KMF 174 0 Comorian Franc
KPW 408 2 North Korean Won
KRW 410 0 Won
KWD 414 3 Kuwaiti Dinar
KYD 136 2 Cayman Islands Dollar
KZT 398 2 Tenge
LAK 418 2 Lao Kip
LBP 422 2 Lebanese Pound
LKR 144 2 Sri Lanka Rupee
LRD 430 2 Liberian Dollar
LSL 426 2 Loti
LYD 434 3 Libyan Dinar
MAD 504 2 Moroccan Dirham
MDL 498 2 Moldovan Leu
MGA 969 2 Malagasy Ariary
MKD 807 2 Denar
MMK 104 2 Kyat
MNT 496 2 Tugrik
MOP 446 2 Pataca
MRU 929 2 Ouguiya
MUR 480 2 Mauritius Rupee
MVR 462 2 Rufiyaa
MWK 454 2 Malawi Kwacha
MXN 484 2 Mexican Peso
MXV 979 2 Mexican Unidad de Inversion (UDI) (fund)
MYR 458 2 Malaysian Ringgit
MZN 943 2 Mozambique Metical
NAD 516 2 Namibia Dollar
NGN 566 2 Naira
NIO 558 2 Cordoba Oro
NOK 578 2 Norwegian Krone
NPR 524 2 Nepalese Rupee
NZD 554 2 New Zealand Dollar
OMR 512 3 Rial Omani
PAB 590 2 Balboa
PEN 604 2 Sol
PGK 598 2 Kina
PHP 608 2 Philippine Peso
PKR 586 2 Pakistan Rupee
PLN 985 2 Zloty
PYG 600 0 Guarani
QAR 634 2 Qatari Rial
RON 946 2 Romanian Leu
RSD 941 2 Serbian Dinar
RUB 643 2 Russian Ruble
RWF 646 0 Rwanda Franc
SAR 682 2 Saudi Riyal
SBD 090 2 Solomon Islands Dollar
SCR 690 2 Seychelles Rupee
SDG 938 2 Sudanese Pound
SEK 752 2 Swedish Krona
SGD 702 2 Singapore Dollar
SHP 654 2 Saint Helena Pound
SLE 925 2 Leone
SOS 706 2 Somali Shilling
SRD 968 2 Surinam Dollar
SSP 728 2 South Sudanese Pound
STN 930 2 Dobra
SVC 222 2 El Salvador Colon
SYP 760 2 Syrian Pound
SZL 748 2 Lilangeni
THB 764 2 Baht
TJS 972 2 Somoni
TMT 934 2 Turkmenistan New Manat
TND 788 3 Tunisian Dinar
TOP 776 2 Pa'anga
TRY 949 2 Turkish Lira
TTD 780 2 Trinidad and Tobago Dollar
TWD 901 2 New Taiwan Dollar
TZS 834 2 Tanzanian Shilling
UAH 980 2 Hryvnia
UGX 800 0 Uganda Shilling
USD 840 2 US Dollar
USN 997 2 US Dollar (Next day) (fund)
UYI 940 0 Uruguay Peso en Unidades Indexadas (UI) (fund)
UYU 858 2 Peso Uruguayo
UYW 927 4 Unidad Previsional
UZS 860 2 Uzbekistan Sum
VED 926 2 Bolivar Soberano
VES 928 2 Bolivar Soberano
VND 704 0 Dong
VUV 548 0 Vatu
WST 882 2 Tala
XAF 950 0 CFA Franc BEAC
XCD 951 2 East Caribbean Dollar
XOF 952 0 CFA Franc BCEAO
XPF 953 0 CFP Franc
YER 886 2 Yemeni Rial
ZAR 710 2 Rand
ZMW 967 2 Zambian Kwacha
ZWG 924 2 Zimbabwe Gold
XAG 961 N.A. Silver
XAU 959 N.A. Gold
XBA 955 N.A. Bond Markets Unit European Composite Unit (EURCO)
XBB 956 N.A. Bond Markets Unit European Monetary Unit (E.M.U.-6)
XBC 957 N.A. Bond Markets Unit European Unit of Account 9 (E.U.A.-9)
XBD 958 N.A. Bond Markets Unit European Unit of Account 17 (E.U.A.-17)
XDR 960 N.A. SDR (Special Drawing Right)
XPD 964 N.A. Palladium
XPT 962 N.A. Platinum
XSU 994 N.A. Sucre
XTS 963 N.A. Codes specifically reserved for testing purposes
XUA 965 N.A. ADB Unit of Account
XXX 999 N.A. The codes assigned for transactions where no currency is involved
"""


def FromEmbedded():
    rows = {}
    for line in EMBEDDED.strip().splitlines():
        code, numeric, minor, name = line.split(" ", 3)
        rows[code] = (numeric, minor, name)
    return PUBLISHED, rows


def FromXml(path):
    root = ET.parse(path).getroot()
    published = root.get("Pblshd", "unknown")
    rows = {}
    for entry in root.iter("CcyNtry"):
        code = entry.findtext("Ccy")
        if not code:  # "No universal currency" (Antarctica, Palestine, ...)
            continue
        name_el = entry.find("CcyNm")
        name = " ".join((name_el.text or "").split())
        if name_el.get("IsFund") == "true":
            name += " (fund)"
        row = (entry.findtext("CcyNbr"), entry.findtext("CcyMnrUnts").strip(), name)
        # A code is listed once per country; every listing must agree.
        if code in rows and rows[code][:2] != row[:2]:
            sys.exit(f"gen_iso4217: {code} listed with different data: {rows[code]} vs {row}")
        rows.setdefault(code, row)
    return published, rows


def Render(published, rows, source):
    kept = []
    for code in sorted(rows):
        numeric, minor, name = rows[code]
        if len(code) != 3 or not code.isalpha() or not code.isupper():
            sys.exit(f"gen_iso4217: bad code {code!r}")
        if minor == "N.A.":
            continue
        if not minor.isdigit() or int(minor) > 4:
            sys.exit(f"gen_iso4217: bad minor units {minor!r} for {code}")
        kept.append(f'LP_ISO4217("{code}", {int(numeric)}, {minor})  // {name}')
    excluded = sorted(c for c, r in rows.items() if r[1] == "N.A.")
    header = [
        "// GENERATED by scripts/gen_iso4217.py; do not edit by hand.",
        "// Source: ISO 4217 List One (SIX Financial Information, list-one.xml),",
        f"// published {published}{source}.",
        "// One entry per active code with numeric minor units, sorted by code:",
        "// LP_ISO4217(alphabetic code, numeric code, minor units). Left out (minor units N.A.):",
        f"// {' '.join(excluded)}.",
    ]
    return "\n".join(header + kept) + "\n"


def main():
    repo = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--xml", help="path to a SIX list-one.xml to use instead of the embedded list")
    ap.add_argument("--out", default=str(repo / "src/common/iso4217_table.inc"))
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing")
    args = ap.parse_args()
    if args.xml:
        published, rows = FromXml(args.xml)
        text = Render(published, rows, "")
    else:
        published, rows = FromEmbedded()
        text = Render(published, rows, " (as embedded in the generator)")
    out = pathlib.Path(args.out)
    if args.check:
        if not out.exists() or out.read_text() != text:
            sys.exit(f"gen_iso4217: {out} is stale; run scripts/gen_iso4217.py")
        return
    out.write_text(text)
    count = sum(line.startswith("LP_ISO4217(") for line in text.splitlines())
    print(f"gen_iso4217: wrote {out} ({count} currencies)")


if __name__ == "__main__":
    main()
