"""Word lists the dedup reads, as data: each says in one comment what it is for.

They were written for feedclass (never taken from an evaluation set). Code that turns them into
lookup tables lives beside the step that uses them: :mod:`feedclass.dedup.marks` (newsroom
marks), :mod:`feedclass.dedup.tokens` (endings) and :mod:`feedclass.dedup.facts` (the rest).
"""

from __future__ import annotations

# Newsroom words that open or close a headline without saying anything about the story
# («Срочно:», «ВИДЕО.»), as regular-expression alternatives.
MARK_WORDS = (
    r"срочно|молния|экстренно|внимание|важно|эксклюзив|обновлено|дополнено|видео|фото|"
    r"фоторепортаж|фотогалерея|инфографика|аудио|онлайн|трансляция|прямой эфир|live|"
    r"breaking(?: news)?|urgent|update[d]?|exclusive|video|photos?|watch|сми|источник|"
    r"шұғыл|жедел|маңызды|бейне|фото|upd"
)
# Outlets and agencies whose name trails a headline (« - РИА Новости», «| Tengrinews»), as
# regular-expression alternatives.
SOURCE_NAMES = (
    r"сми|риа новости|риа|тасс|интерфакс|рбк|ведомости|коммерсант|коммерсантъ|известия|"
    r"лента\.ру|lenta\.ru|газета\.ru|ria\.ru|tengrinews(?:\.kz)?|tengri|zakon\.kz|закон\.кз|"
    r"nur\.kz|informburo(?:\.kz)?|kazinform|казинформ|kapital\.kz|forbes\.kz|forbes|"
    r"vlast\.kz|orda\.kz|azattyq|азаттык|хабар|khabar|24\.kz|kursiv(?:\.media)?|курсив|"
    r"sputnik|спутник|reuters|ap|afp|bloomberg|bbc|cnn|kaztag|казтаг|inform\.kz|"
    r"baq\.kz|exclusive\.kz|time\.kz|the village|365info|ktk|ктк|31 канал|qazaqstan"
)
# Function words (Russian, Kazakh, English) that carry no story: left out of the stems compared.
STOPWORDS = set(
    """
    в во на с со из к ко о об обо у за для от до по при про под над без через между перед после
    около среди вокруг возле ради из-за из-под и а но или либо да же ли не ни бы что чтобы как
    так это этот эта эти то тот та те его ее их он она они оно мы вы я ты вот уже еще лишь только
    также тоже все весь всех всего свой своих свою своего который которая которые которых где
    когда кто чем более менее может могут будет будут был была были было есть нет стал стала
    стали более почти очень сам сама сами самый самая
    сегодня срочно официально впервые вновь снова опять наконец теперь досрочно фактически
    және мен пен бен да де та те үшін туралы бойынша дейін кейін бұл осы ол олар бір екі емес
    the a an of in on at to for from by with and or but not no is are was were be been has have
    had it its this that these those as into over after before about than new says said will
    """.split()
)
# Month names and abbreviations per month number: dates are facts two headlines must share.
MONTHS = {
    1: "январь января январе янв january jan қаңтар қаңтардың қаңтарда",
    2: "февраль февраля феврале фев february feb ақпан ақпанда ақпанның",
    3: "март марта марте мар march mar наурыз наурызда наурыздың",
    4: "апрель апреля апреле апр april apr сәуір сәуірде сәуірдің",
    5: "май мая мае may мамыр мамырда мамырдың",
    6: "июнь июня июне июн june jun маусым маусымда маусымның",
    7: "июль июля июле июл july jul шілде шілдеде шілденің",
    8: "август августа августе авг august aug тамыз тамызда тамыздың",
    9: "сентябрь сентября сентябре сен сент september sep sept қыркүйек қыркүйекте",
    10: "октябрь октября октябре окт october oct қазан қазанда қазанның",
    11: "ноябрь ноября ноябре ноя нояб november nov қараша қарашада қарашаның",
    12: "декабрь декабря декабре дек december dec желтоқсан желтоқсанда желтоқсанның",
}
# Weekdays are date facts too ("Главное к утру четверга" / "... пятницы"); they take month
# codes above 100. "среда" is left out: it is also "environment" (окружающая среда).
WEEKDAYS = {
    101: "понедельник понедельника понедельнику понедельником понедельнике monday дүйсенбі "
    "дүйсенбіде",
    102: "вторник вторника вторнику вторником вторнике tuesday сейсенбі сейсенбіде",
    103: "wednesday сәрсенбі сәрсенбіде",
    104: "четверг четверга четвергу четвергом четверге thursday бейсенбі бейсенбіде",
    105: "пятница пятницы пятнице пятницу пятницей friday жұма жұмада",
    106: "суббота субботы субботе субботу субботой saturday сенбі сенбіде",
    107: "воскресенье воскресенья воскресенью воскресеньем sunday жексенбі жексенбіде",
}
# Currencies are the facts of a rate or an amount: «Курс евро на 5 мая» / «Курс доллара на 5
# мая», «100 млрд тенге» / «100 млрд рублей» are different news. They take codes above 200 and
# conflict as months do (each side names one the other lacks); a side that names none ("$3
# млрд") conflicts with nothing. Abbreviations and case forms (Kazakh «теңгеге») are the same
# currency.
CURRENCIES = {
    201: "доллар доллара долларов долларе долларом доллару доллары долларах долларам долл "
    "usd dollar dollars доллар долларды доллардың долларға долларда доллардан доллармен",
    202: "евро eur euro euros еуро еуроның еуроға еуроны еурода еуродан",
    203: "рубль рубля рублей рублю рублем рубли рублях рублям руб rub ruble rubles rouble roubles "
    "рубльдің рубльге рубльді рубльде рубльден",
    204: "тенге тг kzt tenge теңге теңгенің теңгеге теңгені теңгеде теңгеден теңгемен",
    205: "юань юаня юаней юанем юани юанях юаням cny yuan",
    206: "иена иены иен иене иену иеной йена йены йен йене йену jpy yen",
    207: "гривна гривны гривен гривне гривну гривной гривнах uah hryvnia",
    208: "биткоин биткоина биткоинов биткоину биткоином биткоины btc bitcoin",
    209: "сом сома сомов kgs",
    210: "фунт фунта фунтов фунтом стерлингов gbp",
}
# Letters written onto a four-digit year ("2015г.", "2015-2016гг.", Kazakh "2015ж."): the
# number is the year alone, as in "2015 года", not a different number "2015г".
YEAR_MARKS = ("г", "гг", "ж")
# Number words become digits, so "десять" and "10" agree (and "5" vs "шесть" conflict).
NUMBER_WORDS = {
    "1": "один одна одно одного одной одном одним one бір",
    "2": "два две двух двум двумя двое two екі",
    "3": "три трех трем тремя трое three үш",
    "4": "четыре четырех четырем четверо four төрт",
    "5": "пять пяти пятью five бес",
    "6": "шесть шести шестью six алты",
    "7": "семь семи семью seven жеті",
    "8": "восемь восьми восемью eight сегіз",
    "9": "девять девяти девятью nine тоғыз",
    "10": "десять десяти десятью ten",
    "20": "двадцать двадцати twenty жиырма",
    "100": "сто ста hundred жүз",
    "1000": "тысяча тысячи тысяч тысячу thousand мың",
}
# Scale words after a number: «16 млрд» and «16 миллиардов» are the amount 16e9, and «15,7
# млн» does not round to it. Keyed by the power of ten. (Thousands are left out: «тысяча» is a
# number word.)
SCALES = {
    6: "млн миллион миллиона миллионов миллионам миллионах million millions mln",
    9: "млрд миллиард миллиарда миллиардов миллиардам миллиардах billion billions bn",
    12: "трлн триллион триллиона триллионов триллионам триллионах trillion trillions",
}
# Ordinals are numbers too: "в первом чтении" / "во втором чтении", "второй день" / "третий".
ORDINALS = {
    "1": "первый первая первое первые первого первой первому первым первом первую первых "
    "first бірінші",
    "2": "второй вторая второе вторые второго второму вторым втором вторую вторых second екінші",
    "3": "третий третья третье третьи третьего третьей третьему третьим третьем третью третьих "
    "third үшінші",
    "4": "четвертый четвертая четвертое четвертого четвертой четвертом четвертую төртінші",
    "5": "пятый пятая пятое пятого пятой пятом пятую бесінші",
    "6": "шестой шестая шестое шестого шестом шестую",
    "7": "седьмой седьмая седьмое седьмого седьмом седьмую",
    "8": "восьмой восьмая восьмое восьмого восьмом восьмую",
    "9": "девятый девятая девятое девятого девятом девятую",
    "10": "десятый десятая десятое десятого десятом десятую",
}
# Events and their opposites: two headlines about one subject where one side says the
# opposite of the other ("прекратила"/"возобновила голодовку", "пристыковался"/"отстыковался")
# are different news. Each group lists (one pole, the other pole); words that stem like a
# common unrelated word are left out ("прибыл" ~ "прибыль", "закончил" ~ "закон").
OPPOSITES = (
    (
        "начал начала начали началась начался начались стартовал",
        "завершил завершила завершили завершился завершилась завершились",
    ),
    (
        "прекратил прекратила прекратили прекращен приостановил приостановила приостановлен",
        "возобновил возобновила возобновили возобновлен возобновились",
    ),
    (
        "открыл открыла открыли открылся открылась открыт",
        "закрыл закрыла закрыли закрылся закрылась закрыт",
    ),
    ("задержали задержан арестовали арестован", "отпустили отпущен освободили освобожден"),
    ("пристыковался", "отстыковался"),
    (
        "повысил повышен вырос подорожал укрепился",
        "понизил снизил снижен упал упала упали подешевел ослаб",
    ),
    ("запретил запрещен", "разрешил разрешен"),
    ("ввел ввели введен введена", "отменил отменили отменен отменена"),
    ("победил выиграл", "проиграл"),
    ("одобрил", "отклонил отверг"),
    ("подтвердил", "опроверг"),
    (
        "rise rises rose risen gain gains gained jump jumps jumped climb climbs climbed soar "
        "soars soared surge surges surged",
        "fall falls fell fallen drop drops dropped slide slides slid sink sinks sank plunge "
        "plunges plunged tumble tumbles tumbled",
    ),
    ("win wins won beat beats", "lose loses lost"),
    ("approve approves approved", "reject rejects rejected"),
)
# Inflectional endings for a light stemmer (Russian, some Kazakh and English), longest first.
ENDINGS = sorted(
    set(
        """
        иями ями ами ыми ими ого его ому ему ой ей ий ый ая яя ое ее ые ие ых их ым им ую юю ом
        ем ах ях ам ям ов ев ью ия ии ие ию иях иям ием ией а я о е ы и у ю ь ешь ет ете ут ют ит
        ите ат ят ал ала али ало ил ила или ило ел ела ели ло ли ла ть ться ется ются ится ятся
        ались ался алась ились ился илась ости ость ностью
        дың тың ның дің тің нің ға ге қа ке да де та те дан ден тан тен нан нен лар лер дар дер
        тар тер ы і
        ing ed es s 's
        """.split()
    ),
    key=lambda e: (-len(e), e),
)

# Names written in several ways. Each group maps to the stem of its first entry. Stems cover
# inflection ("России", "российский" -> "росси"); exact words are listed where a stem would be
# ambiguous; two-word names ("Северная Корея") become one token.
ALIAS_GROUPS: tuple[tuple[str, ...], ...] = (
    ("россия", "рф"),
    ("сша", "америка", "американский", "штаты", "штатов", "штатам", "штатах", "штатами"),
    (
        "кндр",
        "северная корея",
        "северной кореи",
        "северную корею",
        "северной корее",
        "северокорейский",
        "северокорейская",
        "северокорейские",
        "северокорейского",
        "северокорейской",
        "северокорейских",
        "северокорейским",
    ),
    ("казахстан", "рк"),
    ("китай", "кнр"),
    (
        "британия",
        "великобритания",
        "великобритании",
        "великобританию",
        "великобританией",
        "британский",
    ),
    (
        "евросоюз",
        "ес",
        "европейский союз",
        "европейского союза",
        "европейскому союзу",
        "европейским союзом",
        "европейском союзе",
    ),
    ("германия", "фрг"),
    ("белоруссия", "беларусь", "белорусский"),
    ("цб", "центробанк", "центробанка", "центробанку", "центробанке", "центробанком"),
    (
        "нацбанк",
        "национальный банк",
        "национального банка",
        "национальному банку",
        "национальным банком",
        "национальном банке",
    ),
    ("госдума", "дума", "думы", "думе", "думу", "думой"),
    ("астана", "нур-султан", "нур-султана", "нур-султане", "нур-султану", "нур-султаном"),
    ("алматы", "алма-ата", "алма-аты", "алма-ате", "алма-ату"),
)

# Given names, as stems. A given name or an initial right before another name ("Сергей
# Шойгу", "Дж. Керри", "Ю.Мамлеева") is not a name of its own for the name vetoes: one side
# often gives it and the other not ("Шойгу" / "Сергей Шойгу", "С.Хоркиной" / "Светланы
# Хоркиной"), and the surname after it still has to agree.
GIVEN_NAMES = """
    александр алексей анатолий андрей антон аркадий арсений артем артур борис вадим валентин
    валерий василий виктор виталий владимир владислав всеволод вячеслав геннадий георгий герман
    глеб григорий даниил денис дмитрий евгений егор иван игорь илья кирилл константин лев
    леонид максим михаил никита николай олег павел петр роман руслан рустам рамзан сергей
    станислав степан тимур федор эдуард юрий ярослав
    алла анастасия анна валентина виктория галина дарья евгения екатерина елена ирина ксения
    людмила марина мария наталья надежда ольга полина светлана софья татьяна юлия
    нурсултан касым жомарт асхат бауыржан ерлан ерболат нурлан серик берик даурен дамир
    айгуль алия асель гульнара жанар айдос арман ержан бахытжан марат аскар алихан мухтар
    даулет самат талгат болат жанна динара сауле мадина еркин канат санжар
    джон джо джозеф дональд барак хиллари ангела эммануэль реджеп тайип нарендра биньямин
    беньямин мохаммед мухаммед джордж билл илон марк джефф тереза урсула стивен майкл дэвид
    джеймс роберт ричард томас эндрю джастин леонардо моника франсуа николя ким
    john joe joseph donald barack hillary angela emmanuel recep narendra benjamin mohammed
    muhammad george bill elon mark jeff theresa ursula steven michael david james robert
    richard thomas andrew justin leonardo
"""


# Endings of surnames (Russian, Kazakh, Ukrainian, Georgian, Armenian): a capitalised first
# word with one of them is a name, not a capital that starts the headline.
SURNAME_ENDS = (
    "ов",
    "ев",
    "ин",
    "ын",
    "ова",
    "ева",
    "ина",
    "ына",
    "ский",
    "цкий",
    "ская",
    "ұлы",
    "улы",
    "қызы",
    "енко",
    "швили",
    "дзе",
    "ян",
)
