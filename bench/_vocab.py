"""Word lists for the synthetic export (data only, in rough frequency order).

COMMON is ranked most-frequent first and is sampled with a Zipf law; RARE is the long
tail (rare words, names, words with diacritics). TOPICS give each conversation a
subject; bigrams inside them are emitted as adjacent words so phrase queries hit.
"""

COMMON = """
the of and to a in is it you that was for on are with as I be this have from or had by
not but what some we can out other were all there when up use your how said an each
which do their time if will way about many then them would like so these her make
thing see has look more day could go come did number no most people my over know
than call first who may down been now find any new work part take get place made
where after back only year show every good me give our under name very through just
form great think say help line turn cause much mean before move right old too same
tell does set three want well also small end put home read hand large add even here
must big high such follow act why ask change went light kind off need house try us
again point world near build self head stand own page should found answer school
grow study still learn plant cover food four between state keep never last let
thought city tree cross hard start might story far draw left late run don't while
press close night real life few open seem together next white begin got walk example
ease paper group always music those both mark often letter until car care second book
carry took science eat room friend began idea stop once base hear cut sure watch
color face main enough plain usual young ready above ever list though feel talk soon
body family direct leave song measure door product short class question happen
complete area half order fire problem piece told knew pass since top whole space
heard best hour better true during hundred five remember step early hold ground
interest reach fast listen six table travel less morning ten simple several toward
lay against pattern slow center love person money serve appear road map rule pull
notice voice unit power town fine certain fall lead dark machine note wait plan
figure box field rest correct able done drive stood contain front teach week final
gave quick develop warm free minute strong special mind behind clear produce fact
street nothing course stay full force object decide surface deep system busy test
record common possible dry wonder thousand ago ran check game shape hot miss brought
heat bring yes fill paint language among please thanks code file error data function
using value result output input user version support information specific different
important consider however because provide include following create based process
explain understand approach option issue solution instead actually really maybe
probably already something anything everything someone whether either within without
although especially usually quite rather simply exactly directly currently likely
available similar common useful possible necessary relevant additional particular
general overall basic simple clear complex key main whole entire current previous
recent latest typical standard default custom manual automatic local global public
private personal professional technical practical potential specific accurate
efficient effective reliable consistent flexible robust secure stable helpful
account address advice agree allow amount analysis anyone apply article aspect assume
attention avoid aware balance basis behavior benefit beyond budget business calculate
category challenge chance chapter character choice choose claim client comment
community company compare concept concern condition confirm connect constant context
continue control conversation copy cost culture customer daily deal decision define
definitely degree deliver depend describe design detail determine device difference
difficult discuss display document draft easily edit effect effort element email
energy engine ensure environment essential estimate event evidence exist expect
experience express extra factor feature feedback focus format frame further future
generate goal guide handle health highlight history identify image impact improve
increase indeed individual initial item itself knowledge layer level limit link logic
maintain manage material matter media memory message method model moment month
natural network normal outline particular perhaps perform period perspective phone
physical policy popular position positive practice prefer prepare present pretty
price primary program project public purpose range reason recommend reduce reference
relationship release remove replace report request require research resource response
return review role save scale schedule section security select sense series service
session setting share situation skill social software source statement strategy
structure student style subject success suggest summary task team technology template
term text theory tool topic total track training type update view website yourself
ability absolutely accept access accident accomplish according achieve acquire across
action active activity actual adapt adjust admit adopt adult advance advantage affect
afford afraid afternoon agency agenda agent aggressive aim alternative amazing
analyze announce annual anxiety apart apparent appeal application appreciate
appropriate approve argue argument arrange arrive artist assess asset assign assist
associate attach attack attempt attend attitude attract audience author authority
average award background band bank bar battle bear beat beautiful bed behave belief
belong benefit bill bit blame block blood board bone border born borrow boss bottom
brain branch brand break brief bright broad brother buy cable camera campaign capital
capture career careful cash catch celebrate cell central century chain chair champion
channel chart cheap chief choice circle citizen civil clean click climate clock cloud
coach coast coffee collect college combine comfort command commit compete complain
component compose concern conclusion conduct confidence conflict consequence consist
construct consumer contact content contract contribute convert convince cook cool
core corner council count couple courage court crazy credit crew crime crisis
criteria critical crowd cultural cup curious cycle damage dance danger date dead
debt decade decline deep defend deliver demand deny department deposit depth desire
desk despite destroy detect device dialog diet digital dinner direction director
discover disease distance divide doctor domain dream drop due duty eager earn edge
editor educate election emerge emotion employee empty enable encourage enemy engage
enjoy enormous enter entry episode equal escape establish evaluate evening eventually
evolve exact examine excellent exchange excited exercise expand expense expert
explore expose extend extent external extreme fail fair faith false familiar famous
fan fault favor fear fee fight file final finance finger finish firm fit fix flat
flow fly folder forget forward foundation frame frequent fresh friendly fuel fun
fund gain gap garden gather gear gift glad glass grab grade grant graph grateful
guess guest habit hair happy harm hate heavy height hero hide hint hire holiday
honest hope host huge human hurt ideal ignore illegal imagine immediate income
indicate industry influence inform initial injury insight inspire install instance
intend internal invest invite involve isolate job join joint journey judge jump
junior justify kitchen label lack lady late launch law lawyer leader league lean
legacy legal lesson library license lift limit loan locate lock logic lose loss
loud luck lunch magic mail major manager margin market master match meal meaning
medium meet member mention mental mess metal middle mild minor mirror mission
mistake mix mobile modern modify monitor mood motion motivate mouth movie multiple
narrow nation native negative neighbor nervous nice noise nor novel nurse obvious
occur offer office official online opinion oppose opportunity orange ordinary
organize origin outcome outside owner pace pack pain pair panel parent partner
party patient pay peace peak perfect permit phase photo phrase pick pilot pitch
plenty pocket poem police polite pool poor population port portion possess post
pound practical praise predict pressure prevent pride prime principle print prior
priority prize profile profit progress promise promote proof proper proposal protect
proud prove publish purchase quarter quiet quote race radio raise rapid rare rate
ratio raw react realize recall receive recognize recover reflect reform refuse
regard region regular reject relate relax relief rely remain remind remote rent
repair repeat reply represent reputation rescue reserve resist resolve respect
respond restore retain retire reveal revenue reward rich ride ring rise risk rival
route routine rush safe salary sale sample satisfy scene score screen search season
seat secret seek segment senior separate sequence serious settle severe shift shop
sick sign signal silent silly silver single sister site skip sleep slide smart smile
smooth soft solid solve sort speak speed spend spirit split sponsor spot spread
square staff stage stake stand stick stock storage store stress stretch strict
strike string struggle stuff submit succeed sudden suffer sufficient suit super
supply surprise survey survive suspect sweet switch symbol target taste tax teacher
tear temporary tend tension terrible thank theme thick thin threat ticket tight
tiny tip title tone tough tour trade tradition traffic transfer transform trend
trial trick trip trouble trust truth twice typical ugly unique unless upper upset
urban urge usual valid variety vast vehicle venture verify victim visible visit
vital volume vote wage wall waste weak wealth weather weekend weight welcome wide
wild willing win window wise witness worry worth wrap wrong yard yield zone
"""

RARE = """
serendipity quixotic ephemeral ubiquitous juxtapose labyrinth mellifluous obfuscate
palimpsest perfunctory recalcitrant sycophant tangential vicarious whimsical
zeitgeist anachronism bifurcate cacophony diaphanous ebullient fastidious garrulous
halcyon idiosyncratic jocular kaleidoscope lugubrious magnanimous nefarious
obstreperous pernicious quagmire rambunctious sanguine truculent unctuous
verisimilitude wanderlust yesteryear zealous apocryphal bellwether circumlocution
defenestration equanimity flummox gregarious hubris ineffable jubilant kerfuffle
loquacious maelstrom nonchalant onomatopoeia panacea quintessential rhetoric
sesquipedalian taciturn umbrage vexatious wistful xylophone zephyr abscond
brouhaha cantankerous doppelganger effervescent farrago gobbledygook hullabaloo
insouciant juggernaut knapsack lackadaisical mnemonic nomenclature oscillate
persnickety quandary ramshackle shenanigans tintinnabulation uproarious vestibule
wherewithal albatross behemoth chicanery dilettante enigma filibuster gargantuan
harbinger iconoclast jamboree kowtow lollygag miasma nebulous obsequious paradigm
quorum reticent solipsism tenacious ultimatum vicissitude winsome aplomb bombastic
Lisbon Kyoto Reykjavik Patagonia Marrakesh Tallinn Ljubljana Cartagena Hokkaido
Tasmania Valparaiso Dubrovnik Chiang Mai Oaxaca Zanzibar Kraków Zürich Malmö
Ngozi Priyanka Oluwaseun Siobhan Anneliese Bartholomew Guinevere Thaddeus Ximena
Yevgeny Zbigniew Margarethe café naïve résumé façade fiancée jalapeño piñata
crème brûlée über déjà vu soufflé purée sauté entrée coöperate Ångström
"""

TOPICS: dict[str, str] = {
    "python": """python function script module import package virtualenv pip pandas
        numpy dataframe decorator generator exception traceback asyncio typing pytest
        fixture dictionary list comprehension lambda iterator interpreter | list
        comprehension | type hints | virtual environment | unit test""",
    "web": """javascript typescript react component frontend browser css html dom
        webpack vite hook state props render npm node express endpoint fetch promise
        async await tailwind | react hooks | single page | event listener""",
    "database": """database sql postgres mysql sqlite query index table schema
        migration transaction join primary foreign orm replica backup latency
        vacuum deadlock | connection pool | primary key | foreign key | query plan""",
    "devops": """docker kubernetes container deploy deployment cluster pod helm
        terraform pipeline ci nginx ingress yaml manifest rollout registry podman
        observability prometheus grafana | load balancer | health check | github
        actions | rolling update""",
    "ml": """model training dataset neural network gradient loss epoch tensor
        pytorch transformer embedding inference accuracy overfitting regularization
        batch fine tuning tokenizer attention | machine learning | learning rate |
        neural network | training data""",
    "data": """spreadsheet excel chart pivot csv dashboard metric analysis regression
        correlation median variance outlier histogram visualization tableau sql
        cohort funnel forecast | pivot table | standard deviation | data cleaning""",
    "security": """password encryption certificate tls oauth token authentication
        authorization vulnerability firewall phishing malware hash salt audit
        permission ssh key | two factor | access token | public key""",
    "cooking": """recipe chicken garlic onion sauce oven bake roast flour butter
        sugar dough sourdough pasta tomato salad spice simmer skillet marinade
        jalapeño crème brûlée | sourdough starter | olive oil | cast iron""",
    "travel": """trip flight hotel itinerary visa passport airport train museum beach
        booking budget luggage hostel café Zürich Lisbon Kyoto tour | travel
        insurance | road trip | carry on""",
    "fitness": """workout exercise muscle protein calories running marathon squat
        deadlift stretching cardio sleep hydration injury recovery yoga | strength
        training | heart rate | rest day""",
    "finance": """budget savings investment stock bond index fund retirement tax
        mortgage loan interest inflation dividend portfolio expense credit debt
        | compound interest | emergency fund | credit score""",
    "writing": """essay draft paragraph outline thesis argument grammar tone edit
        proofread story character plot chapter novel poem blog headline | cover
        letter | short story | first draft""",
    "career": """resume résumé interview job salary promotion manager negotiation
        linkedin portfolio recruiter offer onboarding layoff freelance | job
        interview | cover letter | performance review""",
    "language": """spanish french german japanese vocabulary grammar verb conjugation
        pronunciation fluency translate sentence tense accent duolingo | past tense
        | native speaker""",
    "history": """empire war revolution century ancient medieval dynasty treaty
        king queen colony rome greece renaissance archive | world war | roman
        empire | industrial revolution""",
    "science": """physics chemistry biology equation energy velocity quantum atom
        molecule cell evolution gravity orbit experiment hypothesis calculus
        derivative integral probability | speed of light | black hole""",
    "music": """guitar piano chord melody song lyrics rhythm tempo band album
        recording mixing scale harmony drum synth | chord progression | music
        theory""",
    "garden": """garden plant soil seed tomato compost fertilizer pruning watering
        mulch seedling perennial weed pest greenhouse | raised bed | full sun""",
    "home": """repair leak faucet drywall paint outlet wiring plumbing roof furnace
        thermostat insulation contractor renovation mold | circuit breaker | water
        heater""",
    "parenting": """toddler baby sleep school homework tantrum daycare teenager
        screen routine allowance pediatrician bedtime | screen time | bedtime
        routine""",
    "marketing": """marketing campaign seo brand audience newsletter landing conversion
        funnel social content engagement analytics ads launch | landing page |
        email list | target audience""",
    "gaming": """game gaming level quest boss character build strategy console steam
        multiplayer mod speedrun patch controller | open world | boss fight""",
    "legal": """contract lease clause liability agreement tenant landlord lawsuit
        copyright trademark policy compliance gdpr privacy | terms of service |
        privacy policy | small claims""",
    "health": """symptoms headache doctor medication allergy vitamin diet blood
        pressure cholesterol anxiety therapy insomnia | blood pressure | side
        effects | mental health""",
}

# Relative share of conversations per topic (tech-heavy, like real histories).
TOPIC_WEIGHTS: dict[str, float] = {
    "python": 14,
    "web": 9,
    "database": 6,
    "devops": 6,
    "ml": 6,
    "data": 5,
    "security": 3,
    "cooking": 4,
    "travel": 4,
    "fitness": 3,
    "finance": 3,
    "writing": 6,
    "career": 4,
    "language": 3,
    "history": 2,
    "science": 3,
    "music": 2,
    "garden": 1.5,
    "home": 2,
    "parenting": 1.5,
    "marketing": 3,
    "gaming": 2,
    "legal": 2,
    "health": 3,
}


def _w(text: str) -> list[str]:
    return text.split()


TECH_TOPICS = frozenset({"python", "web", "database", "devops", "ml", "data", "security"})

VERBS = _w("""get set fetch load save parse build create update delete handle process
validate render compute convert format read write send init reset sync merge filter
sort map check run start stop open close apply resolve register normalize""")

NOUNS = _w("""user order config item file data request response session token cache
record event message page list value result query table index node batch payload
schema client server handler buffer stream connection job task report account
profile history status metric model invoice""")

DOTTED = _w("""os.path.join json.loads json.dumps np.array np.mean pd.read_csv df.groupby
df.merge requests.get requests.post asyncio.gather asyncio.run torch.nn.Linear
plt.plot re.compile subprocess.run logging.getLogger datetime.now session.commit
self.assertEqual console.log res.json app.use fs.readFileSync Object.keys
Promise.all JSON.stringify useEffect.cleanup router.get""")

PACKAGES = _w("""requests numpy pandas fastapi django flask sqlalchemy pydantic pytest
torch transformers react express vite typescript eslint prettier""")

CHINESE = _w("""我们 你们 这个 那个 问题 数据库 服务器 部署 配置 文件 代码 函数 错误
可以 需要 因为 所以 但是 如果 已经 现在 时候 方法 系统 用户 数据 模型 训练 学习
工作 时间 今天 明天 项目 团队 设计 测试 性能 优化 网络 安全 旅行 菜谱 健康 运动
历史 音乐 写作 翻译 简历 面试 预算 投资 分析 报告 结果 建议 例子 步骤 解释""")

JAPANESE = _w("""私は これは それは について ください します ありがとう 問題 データベース
サーバー 設定 ファイル コード 関数 エラー できます 必要 なぜなら しかし もし すでに
今日 明日 時間 方法 システム ユーザー データ モデル 学習 仕事 プロジェクト チーム
設計 テスト 性能 最適化 ネットワーク 旅行 レシピ 健康 運動 歴史 音楽 翻訳 面接
予算 投資 分析 結果 提案 例 手順 説明""")
