"""Chats in other languages for the recall evaluation: French, Spanish, German, Portuguese, Italian with
their accents, and Chinese, Japanese and Korean written as people write them (no spaces between Chinese
or Japanese words). Data only (see ``recall_corpus``); everything here is invented.
"""

from __future__ import annotations

from typing import Any

CHATS: list[dict[str, Any]] = [
    # --- français -----------------------------------------------------------------------------------------
    {
        "slug": "fr-crepes",
        "title": "Pâte à crêpes qui colle",
        "when": "2025-02-02 17:05",
        "turns": [
            (
                "user",
                """
                Mes crêpes collent toujours à la poêle et se déchirent quand je les retourne. J'utilise
                250 g de farine, 3 œufs, un demi-litre de lait. Qu'est-ce que je fais de travers ?
                """,
            ),
            (
                "assistant",
                """
                Votre recette est classique, le problème vient sûrement de la cuisson ou du repos de la pâte.

                1. **Laissez reposer la pâte** au moins une heure au réfrigérateur : le gluten se détend et
                   les crêpes se déchirent beaucoup moins.
                2. **Ajoutez du beurre fondu dans la pâte** (environ 50 g). Une pâte grasse accroche moins.
                   Le beurre noisette donne en plus un goût délicieux.
                3. **Une poêle bien chaude** : la première crêpe est souvent ratée, c'est normal, elle sert à
                   « culotter » la poêle. Graissez ensuite légèrement avec un essuie-tout imbibé d'huile.
                4. **Une pâte plus fluide** : elle doit napper la louche, comme une crème liquide. Si elle est
                   épaisse, ajoutez un peu de lait.
                5. **Attendez que les bords dorent** et se décollent tout seuls avant de la retourner.

                Une poêle antiadhésive ou une crêpière en fonte bien culottée change tout.
                """,
            ),
            ("user", "Et pour des galettes de sarrasin, c'est la même pâte ?"),
            (
                "assistant",
                """
                Non : la galette bretonne se fait avec de la farine de sarrasin, de l'eau et du sel, sans lait
                ni sucre, souvent un œuf. Il faut la battre longtemps et la laisser reposer une nuit. Garnie
                d'un œuf, de jambon et d'emmental, c'est la fameuse « complète ».
                """,
            ),
        ],
    },
    {
        "slug": "fr-resiliation-salle",
        "title": "Résilier mon abonnement à la salle de sport",
        "when": "2025-09-15 12:48",
        "turns": [
            (
                "user",
                """
                Je veux résilier mon abonnement à la salle de sport parce que je déménage à Lyon. Le contrat
                parle d'un préavis de deux mois. Est-ce que je peux éviter de payer ces deux mois ?
                """,
            ),
            (
                "assistant",
                """
                Souvent oui : beaucoup de contrats prévoient une **résiliation pour motif légitime** (déménagement
                à plus de X km d'un club de la chaîne, mutation professionnelle, problème de santé) avec un
                préavis réduit ou sans frais. Relisez les conditions générales, en particulier la clause
                « résiliation anticipée ».

                Voici un modèle de lettre à envoyer en recommandé avec accusé de réception :

                > Objet : résiliation de mon abonnement n° [numéro] pour motif légitime
                >
                > Madame, Monsieur,
                >
                > Je vous informe de ma décision de résilier mon abonnement, en raison de mon déménagement à
                > Lyon le [date], ville où votre enseigne ne dispose d'aucun club. Conformément à l'article
                > [X] des conditions générales, je vous remercie de prendre acte de cette résiliation à
                > compter de la réception du présent courrier. Vous trouverez ci-joint un justificatif de
                > domicile.
                >
                > Veuillez agréer, Madame, Monsieur, mes salutations distinguées.

                Si la chaîne a des clubs à Lyon, ils peuvent refuser le motif : proposez alors un transfert
                de votre abonnement.
                """,
            ),
        ],
    },
    {
        "slug": "fr-csv-encodage",
        "title": "Erreur d'encodage en lisant un CSV",
        "when": "2024-10-21 09:33",
        "turns": [
            (
                "user",
                """
                En Python, quand je lis un fichier CSV exporté depuis Excel avec des noms comme « Hélène » ou
                « François », j'ai cette erreur :

                ```
                UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 1024: invalid continuation byte
                ```
                """,
            ),
            (
                "assistant",
                """
                Excel sous Windows enregistre souvent les CSV en **Windows-1252** (ou Latin-1), pas en UTF-8.
                L'octet 0xe9, c'est justement « é » dans cet encodage.

                Précisez l'encodage à la lecture :

                ```python
                import pandas as pd

                df = pd.read_csv("clients.csv", encoding="cp1252", sep=";")
                ```

                (Les Excel français utilisent aussi le point-virgule comme séparateur.) Pour écrire un
                fichier qu'Excel ouvrira correctement avec les accents, utilisez `encoding="utf-8-sig"` :
                l'indicateur d'ordre des octets (BOM) dit à Excel que le fichier est en UTF-8.

                Si vous ne savez pas d'où vient le fichier, la bibliothèque `charset-normalizer` devine
                l'encodage le plus probable.
                """,
            ),
        ],
    },
    # --- español ------------------------------------------------------------------------------------------
    {
        "slug": "es-viaje-mexico",
        "title": "Itinerario por México: CDMX y Oaxaca",
        "when": "2025-03-08 19:20",
        "turns": [
            (
                "user",
                """
                Vamos a México diez días en abril, es nuestra primera vez. Queremos Ciudad de México y Oaxaca,
                nos encanta la comida. ¿Cómo repartimos los días y es seguro moverse en autobús?
                """,
            ),
            (
                "assistant",
                """
                ¡Qué buen plan! Te propongo **cinco días en Ciudad de México y cinco en Oaxaca**.

                **Ciudad de México**
                - Centro Histórico: Zócalo, Templo Mayor y Palacio de Bellas Artes.
                - Coyoacán y la Casa Azul de Frida Kahlo (compra las entradas con antelación).
                - Teotihuacán temprano por la mañana, antes del calor y de los grupos.
                - Tacos al pastor en la Roma y la Condesa, y un mercado como el de Medellín.

                **Oaxaca**
                - El centro, el Templo de Santo Domingo y el mercado 20 de Noviembre, con su pasillo de
                  carnes asadas.
                - Una clase de cocina para aprender a hacer **mole negro** y tlayudas.
                - Hierve el Agua y una visita a un palenque de mezcal.
                - Monte Albán, la antigua ciudad zapoteca.

                **Autobús:** entre Ciudad de México y Oaxaca los autobuses de primera clase (ADO, por
                ejemplo) son cómodos y seguros, unas 6–7 horas. También hay vuelos de una hora a buen precio.
                Dentro de la ciudad, usa taxis de aplicación por la noche.
                """,
            ),
        ],
    },
    {
        "slug": "es-entrevista-star",
        "title": "Preparar una entrevista de trabajo",
        "when": "2025-05-19 08:57",
        "turns": [
            (
                "user",
                """
                Tengo una entrevista el jueves para un puesto de analista de datos en un banco. Siempre me pongo
                nervioso con las preguntas tipo «cuéntame una situación en la que…». ¿Cómo las preparo?
                """,
            ),
            (
                "assistant",
                """
                Esas son **preguntas de comportamiento**, y la mejor forma de prepararlas es el **método STAR**:

                - **S**ituación: el contexto, en una o dos frases.
                - **T**area: cuál era tu responsabilidad.
                - **A**cción: qué hiciste tú, en concreto (di «yo», no «nosotros»).
                - **R**esultado: qué pasó, con números si puedes.

                Prepara cinco o seis historias que cubran lo que suelen preguntar: un conflicto con un
                compañero, un error que cometiste, un plazo muy ajustado, una vez que convenciste a alguien
                con datos, y un proyecto del que estés orgulloso. Una buena historia sirve para varias
                preguntas.

                Ejemplo: «En mi trabajo anterior, el informe mensual de ventas tardaba tres días (S). Me
                encargaron acelerarlo (T). Automaticé la extracción con SQL y Python (A). Ahora tarda dos
                horas y el equipo lo usa cada lunes (R).»

                Ensáyalas en voz alta, y lleva preguntas para ellos sobre el equipo y las herramientas.
                """,
            ),
        ],
    },
    # --- Deutsch -------------------------------------------------------------------------------------------
    {
        "slug": "de-nebenkosten",
        "title": "Nebenkostenabrechnung prüfen",
        "when": "2025-04-28 20:14",
        "turns": [
            (
                "user",
                """
                Ich habe meine Nebenkostenabrechnung für 2024 bekommen und soll 640 € nachzahlen. Das ist viel
                mehr als letztes Jahr. Worauf sollte ich achten, und bis wann kann ich widersprechen?
                """,
            ),
            (
                "assistant",
                """
                Eine hohe Nachzahlung lohnt sich zu prüfen. Die wichtigsten Punkte:

                1. **Frist des Vermieters:** Die Abrechnung muss innerhalb von zwölf Monaten nach Ende des
                   Abrechnungszeitraums bei dir sein. Für 2024 also bis zum 31.12.2025. Kommt sie später, musst
                   du in der Regel nichts nachzahlen.
                2. **Deine Einwendungsfrist:** Du hast **zwölf Monate nach Zugang** der Abrechnung Zeit,
                   Einwände zu erheben.
                3. **Umlagefähige Kosten:** Nur Betriebskosten, die im Mietvertrag vereinbart sind, dürfen
                   umgelegt werden. Verwaltungskosten, Reparaturen und Instandhaltung gehören **nicht** dazu.
                4. **Verteilerschlüssel:** Wird nach Wohnfläche, Personen oder Verbrauch verteilt? Stimmt
                   deine Wohnfläche?
                5. **Heizkosten:** Mindestens 50 % müssen nach Verbrauch abgerechnet werden.

                Du hast das Recht auf **Belegeinsicht**: Bitte schriftlich darum, die Rechnungen einzusehen.
                Zahle die Nachforderung unter Vorbehalt, wenn du unsicher bist, dann gerätst du nicht in
                Verzug. Ein Mieterverein prüft Abrechnungen für Mitglieder meist kostenlos.
                """,
            ),
        ],
    },
    {
        "slug": "de-fahrrad-schaltung",
        "title": "Fahrradkette springt beim Schalten",
        "when": "2024-05-05 15:39",
        "turns": [
            (
                "user",
                """
                Bei meinem Fahrrad springt die Kette hinten, besonders auf den mittleren Ritzeln, und es
                rattert. Kettenschaltung, Shimano, ungefähr 3.000 km gefahren. Kann ich das selbst einstellen?
                """,
            ),
            (
                "assistant",
                """
                Ja, das ist meist eine Sache der **Zugspannung** und in zehn Minuten erledigt.

                1. Schalte hinten auf das kleinste Ritzel und vorne auf das mittlere Kettenblatt.
                2. Schalte einen Gang hoch. Klettert die Kette zögerlich oder rattert sie, drehe die
                   **Einstellschraube am Schaltwerk** (oder am Schalthebel) eine halbe Umdrehung gegen den
                   Uhrzeigersinn. Das erhöht die Zugspannung.
                3. Wiederhole das für alle Gänge, immer in kleinen Schritten, bis sie sauber wechseln.

                Hilft das nicht:
                - **Schaltauge verbogen?** Von hinten betrachtet muss das Schaltwerk senkrecht unter dem
                  Ritzelpaket hängen. Schon ein kleiner Sturz verbiegt es.
                - **Kette verschlissen?** Nach 3.000 km ist das gut möglich. Mit einer Kettenverschleißlehre
                  prüfen; ab 0,5 % Längung tauschen, sonst leidet auch die Kassette.
                - Zug und Hülle verschmutzt oder geknickt.
                """,
            ),
        ],
    },
    # --- português -----------------------------------------------------------------------------------------
    {
        "slug": "pt-pao-de-queijo",
        "title": "Receita de pão de queijo",
        "when": "2024-07-27 16:22",
        "turns": [
            (
                "user",
                """
                Quero fazer pão de queijo mineiro de verdade, mas o meu fica achatado e duro. Uso polvilho doce,
                leite, óleo, ovos e queijo ralado. O que está errado?
                """,
            ),
            (
                "assistant",
                """
                O segredo do pão de queijo que cresce e fica aerado está no **polvilho azedo** e no escaldo.

                **Ingredientes:** 500 g de polvilho azedo (ou metade azedo, metade doce), 250 ml de leite,
                120 ml de óleo, 1 colher de chá de sal, 2 a 3 ovos, 250 g de queijo meia-cura ralado (ou
                parmesão com minas padrão).

                **Modo de preparo:**
                1. Ferva o leite com o óleo e o sal e **escalde** o polvilho: despeje o líquido fervendo por
                   cima e misture bem. A massa fica empelotada, é normal.
                2. Espere amornar e acrescente os ovos um a um, sovando até a massa ficar lisa e grudar um
                   pouco nas mãos.
                3. Junte o queijo, faça bolinhas com as mãos untadas de óleo.
                4. Asse em forno **preaquecido a 200 °C** por 25 a 30 minutos, até dourar.

                Com só polvilho doce ele cresce pouco e fica mais denso. Dá para congelar as bolinhas cruas e
                assar direto do congelador.
                """,
            ),
        ],
    },
    {
        "slug": "pt-visto-d7",
        "title": "Visto D7 para morar em Portugal",
        "when": "2025-10-02 10:05",
        "turns": [
            (
                "user",
                """
                Sou brasileira, trabalho remoto para uma empresa dos EUA, e quero me mudar para Lisboa no ano
                que vem. Qual visto faz mais sentido, o D7 ou o de nômade digital? Preciso de NIF antes?
                """,
            ),
            (
                "assistant",
                """
                Pelo seu perfil, o mais indicado costuma ser o **visto de nômade digital (D8)**: ele foi criado
                justamente para quem trabalha remotamente para empresas fora de Portugal, e exige comprovar um
                rendimento mensal de pelo menos quatro salários mínimos portugueses.

                O **D7** é pensado para quem tem **rendimentos passivos** (aposentadoria, aluguéis,
                investimentos). Há quem o use com salário remoto, mas o D8 descreve melhor a sua situação.

                Em qualquer dos dois, você vai precisar de:
                - **NIF** (número de identificação fiscal): sim, antes. É pedido para abrir conta bancária e
                  alugar casa; pode ser obtido à distância através de um representante fiscal.
                - Conta em banco português com meios de subsistência.
                - Comprovante de alojamento (contrato de arrendamento ou termo de responsabilidade).
                - Seguro de saúde e certidão de antecedentes criminais.

                Depois da entrada, o agendamento na AIMA converte o visto em autorização de residência.
                """,
            ),
        ],
    },
    # --- italiano --------------------------------------------------------------------------------------------
    {
        "slug": "it-ragu-bolognese",
        "title": "Ragù alla bolognese come si deve",
        "when": "2024-12-15 11:11",
        "turns": [
            (
                "user",
                """
                Voglio fare il ragù alla bolognese per il pranzo di Natale. Mia nonna metteva il latte ma non
                ricordo quando. Quanto deve cuocere? Si può usare il vino rosso?
                """,
            ),
            (
                "assistant",
                """
                La ricetta depositata alla Camera di Commercio di Bologna è un ottimo punto di partenza.

                **Ingredienti** (6 persone): 300 g di cartella di manzo macinata grossa, 150 g di pancetta,
                50 g ciascuno di carota, sedano e cipolla per il **soffritto**, 300 g di passata o
                concentrato di pomodoro, mezzo bicchiere di vino **bianco** secco, un bicchiere di latte
                intero, brodo, sale e pepe.

                **Procedimento**
                1. Rosola la pancetta tritata, aggiungi il soffritto e fallo appassire dolcemente.
                2. Unisci la carne e falla rosolare finché sfrigola, poi sfuma con il vino.
                3. Aggiungi il pomodoro, copri e lascia sobbollire a fuoco bassissimo per **almeno due ore
                   e mezza**, aggiungendo brodo quando serve.
                4. **Il latte va alla fine**: versalo negli ultimi minuti, ammorbidisce l'acidità del
                   pomodoro. Alcune famiglie lo mettono invece subito dopo la carne: entrambe le versioni
                   sono tradizionali.

                Il vino rosso si può usare, ma il bianco è quello della ricetta classica. Servilo con le
                tagliatelle, mai con gli spaghetti.
                """,
            ),
        ],
    },
    {
        "slug": "it-sicilia-viaggio",
        "title": "Giro della Sicilia in una settimana",
        "when": "2025-06-02 21:30",
        "turns": [
            (
                "user",
                """
                A settembre abbiamo una settimana per la Sicilia orientale, in macchina. Vorremmo vedere
                l'Etna, Taormina e Siracusa. Che giro ci consigli e dove dormire?
                """,
            ),
            (
                "assistant",
                """
                Settembre è perfetto: il mare è ancora caldo e c'è meno folla che ad agosto.

                - **Giorni 1–2, Catania:** il mercato del pesce, via Etnea, e un'escursione sull'**Etna** con
                  guida fino ai crateri sommitali (porta una giacca, in cima fa freddo).
                - **Giorni 3–4, Taormina:** il Teatro Antico con vista sul vulcano, l'Isola Bella, e una gita
                  alle Gole dell'Alcantara. Dormire a Taormina costa molto: Giardini Naxos è più economica.
                - **Giorni 5–7, Siracusa:** l'isola di Ortigia, il Duomo, il parco archeologico della Neapolis,
                  e in giornata **Noto** e la riserva di **Vendicari** per il mare.

                Prenota un'auto piccola: a Ortigia e a Taormina le strade sono strette e le zone a traffico
                limitato sono sorvegliate. Assaggia la granita con la brioche a colazione e i cannoli a Noto.
                """,
            ),
        ],
    },
    # --- 中文 -----------------------------------------------------------------------------------------------
    {
        "slug": "zh-docker-django",
        "title": "Docker部署Django连不上数据库",
        "when": "2025-03-12 14:40",
        "turns": [
            (
                "user",
                """
                我用docker compose部署Django项目，web容器启动以后一直报错连不上MySQL数据库，
                但是我在本机直接运行的时候是好的。settings里面HOST写的是127.0.0.1，这是什么原因？
                """,
            ),
            (
                "assistant",
                """
                问题出在HOST的配置上。在容器里面，127.0.0.1指的是web容器自己，而不是MySQL所在的容器。
                docker compose会把所有服务放在同一个网络里，服务之间要用**服务名**来访问。

                把settings改成这样：

                ```python
                DATABASES = {
                    "default": {
                        "ENGINE": "django.db.backends.mysql",
                        "HOST": "mysql",   # docker-compose.yml里的服务名
                        "PORT": 3306,
                        "NAME": "shop",
                        "USER": "shop",
                        "PASSWORD": os.environ["DB_PASSWORD"],
                    }
                }
                ```

                另外，MySQL第一次启动初始化需要一点时间，web容器可能会比数据库先启动。建议给mysql服务加上
                healthcheck，然后在web服务里用depends_on的condition: service_healthy等待数据库就绪。
                密码不要写死在代码里，放在环境变量或者.env文件中。
                """,
            ),
        ],
    },
    {
        "slug": "zh-chengdu-trip",
        "title": "成都三天旅游行程",
        "when": "2024-09-26 20:50",
        "turns": [
            (
                "user",
                "国庆节想去成都玩三天，想看大熊猫，也想吃正宗的火锅和小吃，行程怎么安排比较好？人会不会特别多？",
            ),
            (
                "assistant",
                """
                国庆期间成都人确实很多，建议提前订好酒店和熊猫基地的门票。下面是一个比较轻松的三天安排：

                **第一天：熊猫基地和市区**
                早上七点半左右到成都大熊猫繁育研究基地，熊猫上午最活跃，中午以后大多在睡觉。下午去宽窄巷子
                和人民公园喝盖碗茶，晚上吃一顿地道的老火锅，怕辣可以点鸳鸯锅。

                **第二天：文殊院和锦里**
                上午逛文殊院，感受一下安静的寺庙。下午去武侯祠和锦里，晚上到九眼桥看夜景、去玉林路走走。

                **第三天：都江堰或者青城山**
                坐高铁四十分钟左右就能到都江堰，可以顺便爬青城山前山。回市区以后去建设路小吃街，
                钵钵鸡、冒菜、甜水面、蛋烘糕都值得一试。

                地铁很方便，尽量避开早晚高峰。
                """,
            ),
        ],
    },
    {
        "slug": "zh-hongshaorou",
        "title": "红烧肉怎么做不油腻",
        "when": "2025-01-11 11:25",
        "turns": [
            (
                "user",
                "我做的红烧肉总是很油腻，颜色也不够红亮，是哪里做错了？用的是五花肉，放了酱油和糖。",
            ),
            (
                "assistant",
                """
                红烧肉不油腻、颜色红亮，关键在三个步骤：

                1. **焯水和煸炒**：五花肉切块后冷水下锅焯水，去掉血沫。然后不放油，把肉块放进锅里小火慢慢
                   煸炒，把肥肉里的油逼出来，倒掉多余的油，这一步是不油腻的关键。
                2. **炒糖色**：用冰糖小火炒到枣红色、冒小泡的时候马上下肉翻炒，让每块肉都裹上糖色。
                   颜色主要靠糖色，而不是靠多放老抽，老抽放多了会发黑发苦。
                3. **小火慢炖**：加入料酒、少量生抽和老抽、葱姜、八角，加开水没过肉，小火炖一个小时左右，
                   最后大火收汁，汁浓稠发亮就可以出锅了。

                加热水不要加冷水，否则肉会收紧变柴。
                """,
            ),
        ],
    },
    {
        "slug": "zh-pm-interview",
        "title": "产品经理面试准备",
        "when": "2025-07-07 22:18",
        "turns": [
            (
                "user",
                """
                下周要面试一家互联网公司的产品经理岗位，我之前是做运营的。面试官很可能会问“你最大的缺点是
                什么”和“为什么从运营转产品”，这两个问题应该怎么回答比较好？
                """,
            ),
            (
                "assistant",
                """
                这两个问题都是在考察你的自我认知和动机，回答要真诚，同时要有具体的例子。

                **“你最大的缺点是什么？”**
                不要说“我太追求完美了”这种套话。可以选一个真实但不致命的缺点，再说明你正在怎么改进。
                例如：“我以前在做需求评审的时候，容易陷入细节，导致会议时间拉长。后来我在会前先整理出需要
                讨论的三个关键问题，会议效率提高了很多。”

                **“为什么从运营转产品？”**
                把运营经验说成优势：你最了解用户和数据。可以讲一个具体的故事，比如你在做活动的时候发现了
                用户流失的原因，推动产品团队改了注册流程，转化率提升了多少。然后说明你希望从源头解决问题，
                所以想转做产品。

                面试前最好准备一个你熟悉的产品，说说它的优点和你会怎么改进。
                """,
            ),
        ],
    },
    # --- 日本語 -------------------------------------------------------------------------------------------------
    {
        "slug": "ja-nikujaga",
        "title": "肉じゃがの味が薄い",
        "when": "2024-11-10 18:40",
        "turns": [
            (
                "user",
                "肉じゃがを作ったんですが、味が薄くて、じゃがいもが煮崩れてしまいました。どうすればいいですか？",
            ),
            (
                "assistant",
                """
                肉じゃがは、味が染み込むタイミングと火加減がポイントです。

                1. **じゃがいもの種類**：煮崩れしにくいのはメークインです。男爵いもはほくほくしますが、
                   崩れやすいので大きめに切って面取りをしましょう。
                2. **煮る順番**：牛肉と玉ねぎを炒めてから、じゃがいもとにんじんを加えて油を回します。
                   だし、砂糖、みりん、酒を入れて先に甘みを染み込ませ、醤油は後から入れます。
                3. **落とし蓋**：落とし蓋をして中火で15分ほど煮ます。煮汁が全体に回るので、
                   少ない煮汁でもしっかり味が付きます。
                4. **冷ます**：火を止めてから一度冷ますと、味がぐっと染み込みます。
                   食べる前にもう一度温めてください。

                味が薄いときは、醤油と砂糖を少しずつ足して調整しましょう。
                """,
            ),
        ],
    },
    {
        "slug": "ja-hokkaido-winter",
        "title": "冬の北海道旅行",
        "when": "2025-01-22 23:02",
        "turns": [
            (
                "user",
                """
                2月に札幌と小樽に4日間行く予定です。雪まつりも見たいです。レンタカーを借りるべきですか？
                雪道の運転は初めてです。
                """,
            ),
            (
                "assistant",
                """
                雪道の運転が初めてなら、今回はレンタカーなしをおすすめします。札幌と小樽はJRで40分ほどで
                つながっていて、市内は地下鉄と市電で十分に回れます。

                **おすすめの日程**
                - 1日目：札幌に到着、大通公園のさっぽろ雪まつり、夜はすすきのでジンギスカン。
                - 2日目：小樽へ日帰り。小樽運河、堺町通りのガラス工房、夜は「小樽雪あかりの路」。
                - 3日目：札幌市内。二条市場で海鮮丼、白い恋人パーク、藻岩山の夜景。
                - 4日目：札幌ラーメンを食べて、新千歳空港へ。

                歩道はとても滑るので、靴底に滑り止めのついたブーツか、取り付け式のスパイクを用意して
                ください。雪まつりの期間はホテルがすぐ埋まるので、早めに予約しましょう。
                """,
            ),
        ],
    },
    {
        "slug": "ja-python-mojibake",
        "title": "Pythonでスクレイピングすると文字化けする",
        "when": "2024-06-03 13:55",
        "turns": [
            (
                "user",
                """
                requestsとBeautifulSoupで日本のニュースサイトをスクレイピングしていますが、タイトルが
                「æ—¥æœ¬」のように文字化けします。どうすれば直りますか？
                """,
            ),
            (
                "assistant",
                """
                文字化けの原因は、requestsがレスポンスの文字コードを間違えて推測していることです。
                HTTPヘッダーに文字コードがないと、requestsはISO-8859-1とみなしてしまいます。

                ```python
                import requests
                from bs4 import BeautifulSoup

                res = requests.get(url, timeout=10)
                res.encoding = res.apparent_encoding  # 本文から文字コードを推測する
                soup = BeautifulSoup(res.text, "html.parser")
                print(soup.title.string)
                ```

                または、バイト列をそのままBeautifulSoupに渡すと、HTMLのmetaタグから文字コードを判定して
                くれます：`BeautifulSoup(res.content, "html.parser")`。

                Shift_JISやEUC-JPの古いサイトでもこの方法で正しく読めます。
                """,
            ),
        ],
    },
    # --- 한국어 ---------------------------------------------------------------------------------------------------
    {
        "slug": "ko-jeju-trip",
        "title": "제주도 3박 4일 여행 일정",
        "when": "2025-04-05 09:12",
        "turns": [
            (
                "user",
                "다음 달에 부모님 모시고 제주도 3박 4일 여행을 가요. "
                "렌터카 빌릴 예정이고, 너무 많이 걷지 않는 코스로 추천해 주세요.",
            ),
            (
                "assistant",
                """
                부모님과 함께라면 이동 거리를 줄이고 지역별로 묶어서 다니는 게 좋아요.

                **1일차 (제주시)**: 공항 도착 후 렌터카 인수, 용두암과 동문시장 구경, 저녁은 흑돼지 구이.
                **2일차 (동쪽)**: 함덕해수욕장, 성산일출봉은 입구 근처 산책로까지만, 섭지코지, 우도는 배로
                들어가서 전기차나 버스로 한 바퀴.
                **3일차 (서귀포)**: 천지연폭포와 정방폭포는 주차장에서 가까워서 걷기 편해요. 오후에는 카멜리아힐,
                저녁은 서귀포 매일올레시장.
                **4일차 (서쪽)**: 협재해수욕장과 오설록 티뮤지엄에서 녹차 아이스크림, 공항으로.

                5월에는 날씨가 좋아서 관광객이 많으니 렌터카와 숙소는 미리 예약하시고, 바람이 많이 부니
                얇은 겉옷을 챙기세요.
                """,
            ),
        ],
    },
    {
        "slug": "ko-toeic-study",
        "title": "토익 공부 방법",
        "when": "2024-08-30 22:40",
        "turns": [
            (
                "user",
                "두 달 안에 토익 800점을 받아야 해요. 지금 모의고사 점수는 650점 정도예요. 어떻게 공부하면 좋을까요?",
            ),
            (
                "assistant",
                """
                두 달에 150점 올리는 건 충분히 가능해요. 보통 리스닝 점수가 먼저 빨리 오르니까 리스닝에
                조금 더 시간을 쓰는 게 좋아요.

                - **리스닝**: 매일 파트 2와 파트 3 문제를 풀고, 틀린 문제는 스크립트를 보면서 따라 말하는
                  쉐도잉을 하세요. 같은 음원을 세 번 이상 듣는 게 효과가 커요.
                - **리딩**: 파트 5 문법 문제는 유형이 정해져 있어서 자주 나오는 문법을 정리하면 금방 올라요.
                  파트 7은 시간이 부족하니까 실전처럼 시간을 재고 푸세요.
                - **단어**: 토익 빈출 단어장을 하루 50개씩 외우고 주말에 복습하세요.
                - **모의고사**: 주말마다 실전 모의고사를 한 번 풀고 오답 노트를 만드세요.

                하루 두 시간씩 꾸준히 하는 게 주말에 몰아서 하는 것보다 훨씬 좋아요.
                """,
            ),
        ],
    },
    {
        "slug": "ko-kimchi-jjigae",
        "title": "김치찌개 맛있게 끓이는 법",
        "when": "2025-02-17 19:05",
        "turns": [
            (
                "user",
                "김치찌개를 끓이면 맛이 밍밍하고 깊은 맛이 안 나요. 식당처럼 맛있게 끓이는 비법이 있나요?",
            ),
            (
                "assistant",
                """
                김치찌개의 깊은 맛은 **잘 익은 신김치**와 **돼지고기를 볶는 과정**에서 나와요.

                1. 냄비에 식용유를 조금 두르고 돼지고기 앞다리살이나 삼겹살을 먼저 볶아 기름을 내세요.
                2. 신김치를 넣고 5분 정도 충분히 볶아요. 이때 설탕을 반 숟가락 넣으면 신맛이 부드러워져요.
                3. 쌀뜨물이나 멸치 육수를 붓고, 고춧가루와 다진 마늘, 김치 국물을 넣어 20분 이상 끓이세요.
                4. 두부와 대파를 넣고 5분 더 끓이면 완성이에요.

                김치가 덜 익었다면 식초를 아주 조금 넣어도 되고, 참치 통조림을 넣으면 또 다른 맛이 나요.
                """,
            ),
        ],
    },
]
