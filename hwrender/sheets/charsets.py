"""What each template asks a writer for (template version 1; changing anything here changes the
sheets, so it needs a new ``layout.TEMPLATE_VERSION``).

- **latin**: every character of the Latin word GAN's charset (printable ASCII without the space,
  the Latin-1 letters, Latin Extended-A: 285 characters, frozen here as :data:`LATIN_CHARSET`;
  a test checks it equals the model's) in a box twice, ASCII first so the first character page
  alone gives the common ones, and a page of ruled words and sentences before them (the word GAN
  learns from words: common words, capitals, digits and punctuation in context, letter joins).
- **emnist**: the 62 EMNIST classes (digits, capitals, small letters) three times each.
- **hangul**: 210 syllables of KS X 1001 that show each of the 19 initials in each of its six
  layouts, each of the 21 medials with and without a final, and each of the 27 finals under each
  class of medial (all 212 such shapes that occur in KS X 1001), common syllables preferred
  (:func:`choose_hangul`).
- **cjk**: 363 frequent simplified Han characters: the top 300 of Jun Da's frequency order, one
  character for each of 55 common components they miss, then the next by frequency
  (:func:`choose_cjk`); all in GB 2312 level 1, which the glyph styler writes.
"""

from __future__ import annotations

import string

LATIN_CHARSET = "".join(sorted(
    {chr(c) for c in range(33, 127)}
    | {chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)}
    | {chr(c) for c in range(0x100, 0x180)}))
EMNIST_CHARSET = string.digits + string.ascii_uppercase + string.ascii_lowercase

# Extra boxes that fill a page's last row: the commonest letters again.
_COMMON_LETTERS = "etaoinshrdlucmfwypvbgkjqxz"

LATIN_WORDS = (
    "the", "and", "of", "to", "in", "is", "you", "that", "with", "have", "this", "from",
    "would", "there", "about", "people", "little", "happy", "running", "through",
    "quickly", "beginning", "letter", "jazz", "queen", "extra", "writing",
    "Monday", "London", "Zoë", "Dear", "I'm", "don't", "well-known", "(yes)",
    "hello!", "why?", "me@home.org", "x+y=z", "50%", "$12.99", "#3", "10:45", "2024",
    "café", "naïve", "façade", "Łódź", "Dvořák", "smörgåsbord", "Æsop",
)
LATIN_LINES = (
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs!",
    "Sphinx of black quartz, judge my vow.",
    "On 12 May 2024 at 9:30 we paid $47.85 (tax incl.);",
    "\"Well,\" said Ada, \"it's 6 o'clock - see you soon!\"",
)

# How the Hangul set was chosen (the docstring of :func:`choose_hangul` has the details).
HANGUL_SIZE = 210
# Common syllables, roughly most common first: typed for this template from general knowledge of
# Korean text (particles, endings, frequent Sino-Korean syllables), not counted from a corpus.
HANGUL_COMMON = (
    "이다는의에하고을가지기로사한리도서자대를어인나수정시해아일상적게으부주전있들우제만과여원보요성동국라거구소내스장오위경비"
    "면히연러방신문마세관무생된화조없발분치공했개행및중것까물계그학식심진간회두운미선와모야실안역체차저니던표업유되교결말했터"
    "할함본통날명현려당용또점반데곳입단언음양법민알받드건노처출평설번록살래월년새배님집합감께색활각길작품때형특향매호영빠며금"
    "종최증권준렇럼었였겠았습죠네든봐줘돼왜뭐너우씨더좋많같싶않못어떻먹엇쓰듯느끼물론듣묻잘못잡찾울웃놓놀넣떠따뜻쪽쉽빨파란흰"
    "검밥술꽃눈손발귀목몸맘힘피땅하늘바람불비산강섬숲돌길문창책상밤낮봄여름가을겨울"
)

# Han: the most frequent simplified characters in the order of Jun Da's modern Chinese character
# frequency list (typed from it for this template; the first 1,185).
CJK_SIZE = 363
CJK_FREQUENT = (
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用道行所然家种事成方"
    "多经么去法学如都同现当没动面起看定天分还进好小部其些主样理心她本前开但因只从想实日军者意无力它与长把机十民第公此已工使情"
    "明性知全三又关点正业外将两高间由问很最重并物手应战向头文体政美相见被利什二等产或新己制身果加西斯月话合回特代内信表化老给"
    "世位次度门任常先海通教儿原东声提立及比员解水名真论处走义各入几口认条平系气题活尔更别打女变四神总何电数安少报才结反受目太"
    "量再感建务做接必场件计管期市直德资命山金指克许统区保至队形社便空决治展马科司五基眼书非则听白却界达光放强即像难且权思王象"
    "完设式色路记南品住告类求据程北边死张该交规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济"
    "车亲极林服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团集百需价花党华城石级整府离况亚"
    "请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历"
    "首医局突专费号尽另周较注语仅考落青随选列武红响虽推势参希古众构房半节土投某案黑维革划敌致陈律足态护七兴派孩验责营星够章音"
    "跟志底站严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻父苏密低朝友诉止细愿千值"
    "仍男钱破网热助倒育属坐帝限船脸职速刻乐否刚威毛状率甚独球般普怕弹校苦创假久错承印晚兰试股拿脑预谁益阳若哪微尼继送急血惊伤"
    "素药适波夜省初喜卫源食险待述陆习置居劳财环排福纳欢雷警获模充负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担"
    "州静退既衣您宗积余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊超免压银买皇养伊怀执副乱抗犯追帮宣佛岁航优怪香著田铁控"
    "税左右份穿艺背阵草脚概恶块顿敢守酒岛托央户烈洋哥索胡款靠评版宝座释景顾弟登货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮"
    "露永呼味野架域沙掉括舰鱼杂误湾吉减编楚肯测败屋跑梦散温困剑渐封救贵枪缺楼县尚毫移娘朋画班智亦耳恩短掌恐遗固席松秘谢鲁遇康"
    "虑幸均销钟诗藏赶剧票损忽巨炮旧端探湖录叶春乡附吸予礼港雨呀板庭妇归睛饭额含顺输摇招婚脱补谓督毒油疗旅泽材灭逐莫笔亡鲜词圣"
    "择寻厂睡博勒烟授诺伦岸奥唐卖俄炸载洛健堂旁宫喝借君禁阴园谋宋避抓荣姑孙逃牙束跳顶玉镇雪午练迫爷篇肉嘴馆遍凡础洞卷坦牛宁纸"
    "诸训私庄祖丝翻暴森塔默握戏隐熟骨访弱蒙歌店鬼软典欲萨伙遭盘爸扩盖弄雄稳忘亿刺拥徒姆杨齐赛趣曲刀床迎冰虚玩析窗醒妻透购替塞"
    "努休虎扬途侵刑绿兄迅套贸毕唯谷轮库迹尤竞街促延震弃甲伟麻川申缓潜闪售灯针哲络抵朱埃抱鼓植纯夏忍页杰筑折郑贝尊吴秀混臣雅振"
    "染盛怒舞圆搞狂措姓残秋培迷诚宽宇猛摆梅毁伸摩盟末乃悲拍丁赵吹袭骑曼仁遥孔奔旗蓝纷嘛舍宜晓吓"
)
CJK_TOP = 300  # taken by rank before components are checked
# Common components (radicals and phonetic parts) and characters that hold them; the set has at
# least one character for each (a character from this list is added where the top ranks miss one).
CJK_COMPONENTS = {
    "氵": "没法海活满消深江河注流", "扌": "把提接打指找拉持技", "亻": "他们什作你位体但候",
    "口": "吃叫呢吗吧听哪", "木": "机样林树极根", "艹": "花英草药落", "讠": "说话让认识讲请该",
    "纟": "经给组结织线级红", "钅": "钱银铁针钟", "忄": "情快怕忙惊慢怀", "辶": "这过还进道边通运",
    "宀": "家定实字安完室", "土": "地场城坏", "女": "她如好姐妈始", "日": "时明早晚是",
    "月": "有服朋期脸", "灬": "然点热照", "目": "眼睛看相", "石": "石础破确", "禾": "种科和秋程",
    "⺮": "等第笔答简算管", "米": "米精类料", "衤": "被初补", "⻊": "路跟跑跳", "门": "门问间们闻",
    "雨": "需雪雷露", "车": "车转军", "贝": "资费贵货", "页": "题须顾预领", "马": "马吗妈验",
    "刂": "到别利刻前", "阝": "那都部院阳际", "力": "动加办助", "心": "想意感思念",
    "彳": "很得往行德", "攵": "放改数教政", "犭": "独狂猛", "饣": "饭馆饮", "疒": "病疗痛",
    "广": "广度应床店", "尸": "局屋展", "又": "对发欢双难", "寸": "对将时", "王": "理现球班玩",
    "礻": "神社福礼", "见": "现觉观视规", "欠": "次欢欧欲", "立": "站章位", "火": "火灯烟炸",
    "虫": "虽强", "走": "起超越", "厂": "厂原历", "囗": "国因回图四", "冫": "次决冷",
    "亠": "这文六市",
}

# Frozen results of choose_hangul() and choose_cjk() (tests re-derive them): the sheets of
# template version 1, in code order (KS X 1001 / GB 2312 order), so a writer finds their place.
HANGUL = (
    "가간갊같개걔걘거것게겠경계곈고곬곯곳공곶과관괆구국굵그기까깎꼬꼲꽃꽥꿰끝나날내녘노놔놨는다닳대던도동돼되된두듣들때떻또똬"
    "뜀뜻라러렇로롸룃를리마만많면몫뫈무묶문물뭐미및받발방보봐봔부분비빠빨뽀뾔쁑사상생서선성세소솨수숲쉽스습시식신심싶싻쏢쏴쏵"
    "쓰씨아앉야양어업없에여연오와요용우운원월위유으을읊음읔의이인일있자장적전정제조좋좍주중줘지진짜짧쪼쪽쫘쫙찾초촨최출치카칵"
    "코콕콰퀭탉터토통톼퇀파평퐈퐝표품하학한핥해했행호홅화활회흰히"
)
CJK = (
    "安把白保报北被本比必边便变表别病并不步部才产场常长成程出处传此次从达打大带代但当导到道德得的等地第点电定东动都独度队对多"
    "而儿尔二发法反饭方放非飞分风该改干感高告格个各给根更工公共关观管光规国果过海好和何合很候后化话还回会活火或基机及即几己计"
    "记家加间见件建将交教接结解界金今进经就据觉决军开看科可克空口拉来老类理里利立力联两量了领路论马么没美门们面民明名命目那南"
    "难内能你年女品平期其起气钱前强切且清情求区取去权全却确然让人任认日如入三色山上少社设身神声生师十时什实识使式世事是市收手"
    "受书术数水说斯思司死四所他它她太特提题体天条听通同统头外完万王望为位文问我无五物务西系下先现相想像向象小笑些新心信形行性"
    "需许学言眼样要也业一已以意义因英应用由有又于与原员院月运再在造则展战张者这真争正政知之直指只至制治中种重主住着资子自总走"
    "最做作"
)


def ksx1001_hangul() -> str:
    """The 2,350 Hangul syllables of KS X 1001 (all that Python's ``euc_kr`` codec encodes), in
    code order (which is 가나다 order)."""
    return "".join(bytes([row, col]).decode("euc_kr") for row in range(0xB0, 0xC9)
                   for col in range(0xA1, 0xFF))


def gb2312_order(char: str) -> bytes:
    return char.encode("gb2312")


# Medials by the shape they give a syllable: beside the initial (vertical), under it (horizontal)
# or both (compound). Jamo indices as in the Unicode syllable formula.
_VERTICAL = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 20})      # ㅏㅐㅑㅒㅓㅔㅕㅖㅣ
_HORIZONTAL = frozenset({8, 12, 13, 17, 18})             # ㅗㅛㅜㅠㅡ
_COMPOUND = frozenset({9, 10, 11, 14, 15, 16, 19})       # ㅘㅙㅚㅝㅞㅟㅢ


def jamo(syllable: str) -> tuple[int, int, int]:
    """(initial 0-18, medial 0-20, final 0-27 with 0 = none) of a precomposed syllable."""
    i = ord(syllable) - 0xAC00
    return i // 588, (i // 28) % 21, i % 28


def medial_class(medial: int) -> str:
    return "v" if medial in _VERTICAL else "h" if medial in _HORIZONTAL else "c"


def jamo_elements(syllable: str) -> frozenset:
    """What a syllable shows of each jamo's shapes: its initial in its layout class (medial class x
    with/without final: six shapes), its medial with/without a final, its final under its medial
    class."""
    initial, medial, final = jamo(syllable)
    shape = medial_class(medial)
    out = {("initial", initial, shape, final > 0), ("medial", medial, final > 0)}
    if final:
        out.add(("final", final, shape))
    return frozenset(out)


def choose_hangul(size: int = HANGUL_SIZE) -> str:
    """Pick ``size`` KS X 1001 syllables that show every jamo in every shape it takes.

    The shapes to cover: each of the 19 initials in each of the six layouts (medial vertical,
    horizontal or compound, with or without a final: 114), each of the 21 medials with and without
    a final (42), each of the 27 finals under each medial class (81): 237, of which 212 occur in
    KS X 1001 (the other 25, e.g. ㅃ with a compound medial and a final, occur in no common
    syllable). Then:
    1. walk :data:`HANGUL_COMMON` (most common first) keeping each syllable that shows a shape not
       yet covered;
    2. greedy set cover over all 2,350 for the shapes left: the syllable that adds the most,
       ties to the commoner, then to code order;
    3. fill up to ``size`` with the commonest syllables not chosen yet.
    Returned in code order.
    """
    every = ksx1001_hangul()
    present = set(every)
    common = [c for c in dict.fromkeys(HANGUL_COMMON) if c in present]
    rank = {c: i for i, c in enumerate(common)}
    order = {c: rank.get(c, len(common) + i) for i, c in enumerate(every)}
    elements = {c: jamo_elements(c) for c in every}
    chosen, covered = [], set()
    for c in common:
        if elements[c] - covered:
            chosen.append(c)
            covered |= elements[c]
    while True:
        best = max(every, key=lambda c: (len(elements[c] - covered), -order[c]))
        if not elements[best] - covered:
            break
        chosen.append(best)
        covered |= elements[best]
    chosen += [c for c in common if c not in set(chosen)][:max(0, size - len(chosen))]
    if len(chosen) > size:
        raise AssertionError(f"covering every jamo shape takes {len(chosen)} syllables")
    return "".join(sorted(chosen))


def choose_cjk(size: int = CJK_SIZE) -> str:
    """The first :data:`CJK_TOP` characters of :data:`CJK_FREQUENT`, plus for each component in
    :data:`CJK_COMPONENTS` they miss its most frequent listed character, then the next most
    frequent characters up to ``size``; only characters of GB 2312 level 1 (which the glyph
    styler's source font and charset hold). Returned in GB 2312 order (pinyin order)."""
    pool = [c for c in dict.fromkeys(CJK_FREQUENT) if _gb2312_level1_char(c)]
    rank = {c: i for i, c in enumerate(pool)}
    chosen = pool[:CJK_TOP]
    for examples in CJK_COMPONENTS.values():
        if not any(c in chosen for c in examples):
            chosen.append(min((c for c in examples if c in rank), key=rank.__getitem__))
    chosen += [c for c in pool if c not in set(chosen)][:max(0, size - len(chosen))]
    return "".join(sorted(chosen, key=gb2312_order))


def _gb2312_level1_char(char: str) -> bool:
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0xB0 <= code[0] <= 0xD7


def charset(kind: str) -> str:
    """The characters of a kind's template, each once, in the order they are first asked for."""
    return "".join(dict.fromkeys(box_sequence(kind)))


def box_sequence(kind: str) -> str:
    """The character of every char box, page after page."""
    if kind == "latin":
        ascii_, rest = LATIN_CHARSET[:94], LATIN_CHARSET[94:]
        seq = ascii_ * 2 + rest * 2
        return seq + _fill(len(seq), 195)
    if kind == "emnist":
        seq = EMNIST_CHARSET * 3
        return seq + _fill(len(seq), 195)
    if kind == "hangul":
        return HANGUL
    if kind == "cjk":
        return CJK
    raise KeyError(kind)


def _fill(n: int, per_page: int) -> str:
    """Common letters for the empty boxes of a last page."""
    return (_COMMON_LETTERS * 8)[:(-n) % per_page]
