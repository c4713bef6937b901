"""English chats for the recall evaluation: everyday subjects, code, hidden tool text, long chats.

Data only (see ``recall_corpus`` for the turn shapes). Subjects come in groups of near neighbours (three
Docker chats, two sourdough chats besides the sample's, two Rust chats…) so a query has to pick the
right one. Everything here is invented.
"""

# ruff: noqa: E501  (pasted logs and tracebacks keep their real, long lines)

from __future__ import annotations

from typing import Any

CHATS: list[dict[str, Any]] = [
    # --- cooking ------------------------------------------------------------------------------------
    {
        "slug": "sourdough-discard",
        "title": "Uses for sourdough discard",
        "when": "2025-01-19 10:12",
        "turns": [
            (
                "user",
                """
                I feed my starter every day and I'm throwing away like 100 g of discard each time. It feels
                wasteful. What can I actually make with it that isn't pancakes?
                """,
            ),
            (
                "assistant",
                """
                Good instinct: discard is just unfed starter, so it's flour and water with a lot of flavour.
                It won't raise bread on its own, but anything that also uses baking powder or soda, or that
                doesn't need to rise at all, is fair game.

                **Keep it in the fridge.** Collect discard in a jar in the fridge for up to a week, then bake
                with it in one go.

                Ideas that don't involve pancakes:
                1. **Crackers.** Mix 200 g discard, 60 g melted butter, 100 g flour, salt and herbs. Roll very
                   thin between two sheets of parchment, score into squares, bake at 175 °C for 25–30 minutes.
                   Rosemary and flaky salt are a classic.
                2. **Flatbread.** Add a little yoghurt and flour until you get a soft dough, cook in a dry cast
                   iron pan. Great with curry.
                3. **Banana bread.** Replace about 100 g of the flour and 100 g of the liquid with discard.
                4. **Pizza dough boost.** A spoonful of discard in a yeasted pizza dough gives it a tangy,
                   more complex flavour.
                5. **Waffles and crumpets.** Crumpets in particular are basically made for discard.

                If you want less discard in the first place, keep a smaller starter: 20 g fed with 20 g flour
                and 20 g water gives you only 20 g to throw away.
                """,
            ),
            ("user", "The crackers came out chewy in the middle, not crisp. Thinner?"),
            (
                "assistant",
                """
                Yes, thickness is almost always the culprit. Aim for about 1–2 mm, so thin you can nearly see
                the parchment through it. Two more tricks: bake until the edges are deep golden, not pale,
                and let them cool on a rack in the switched-off oven with the door ajar, which drives off the
                last moisture. Pieces in the middle of the tray bake slower, so pull the outer ones first.
                """,
            ),
        ],
    },
    {
        "slug": "sourdough-scoring",
        "title": "Sourdough ear and oven spring",
        "when": "2025-02-08 16:40",
        "turns": [
            (
                "user",
                """
                My sourdough loaves taste great but they come out flat-ish and never get that ear on top. I
                use a razor blade and a Dutch oven. What am I missing?
                """,
            ),
            (
                "assistant",
                """
                An ear comes from three things working together: enough surface tension from shaping, a cold
                dough, and a shallow, angled cut.

                - **Shaping.** After pre-shaping, do a tight final shape and drag the boule towards you on
                  an unfloured bench so the skin tightens. A loose skin spreads instead of springing up.
                - **Score cold.** Score straight out of the fridge after an overnight cold retard. Warm dough
                  drags under the blade.
                - **Angle the blade.** Hold the lame at about 30° to the surface, not straight down, and make
                  one confident cut 1 cm deep along one side of the loaf. A vertical cut opens evenly and
                  gives no ear.
                - **Steam and heat.** Preheat the Dutch oven for 45–60 minutes at 250 °C and keep the lid on
                  for the first 20 minutes so the crust stays soft while the loaf expands.

                Flat loaves can also mean over-proofing. Do the poke test before it goes in: the dent should
                spring back slowly and leave a small mark.
                """,
            ),
            ("user", "What's a lame? I've just been using a normal razor blade."),
            (
                "assistant",
                """
                A lame (pronounced "lahm") is just a handle that holds a double-edged razor blade, often with
                a slight curve. A bare razor blade works fine: the handle only makes it easier to keep the
                30° angle and to cut quickly in one stroke. Change blades often, a dull blade tears.
                """,
            ),
        ],
    },
    {
        "slug": "weeknight-curry",
        "title": "Quick chickpea curry",
        "when": "2024-10-03 18:55",
        "turns": [
            (
                "user",
                """
                I need a vegetarian dinner in 30 minutes with what I have: a can of chickpeas, a can of coconut
                milk, an onion, spinach, rice and a random jar of curry paste.
                """,
            ),
            (
                "assistant",
                """
                That's a perfect chickpea and spinach curry.

                1. Start the rice first (about 18 minutes for white rice).
                2. Fry the sliced onion in a little oil for 6–8 minutes until soft and golden.
                3. Add 2–3 tablespoons of curry paste and fry it for a minute until fragrant. This step
                   matters: raw paste tastes flat.
                4. Pour in the coconut milk and the drained chickpeas, simmer 10 minutes.
                5. Stir in two big handfuls of spinach until wilted, then season with salt and a squeeze of
                   lime or a splash of vinegar.

                If the paste is very hot, add a spoon of peanut butter or more coconut milk to soften it.
                """,
            ),
        ],
    },
    # --- garden, home, pets, car --------------------------------------------------------------------
    {
        "slug": "tomato-blight",
        "title": "Tomato leaves with brown spots",
        "when": "2024-07-14 08:22",
        "turns": [
            (
                "user",
                """
                The lower leaves on my tomato plants have brown spots with yellow rings around them and they
                are slowly dying from the bottom up. It's been a very wet July. Is this something I should
                worry about?
                """,
            ),
            (
                "assistant",
                """
                Brown spots with concentric rings and a yellow halo, starting on the oldest, lowest leaves, are
                the textbook picture of **early blight** (*Alternaria*). Wet weather and splashing soil spread
                it. It's common and manageable; late blight, the dangerous one, looks different: greasy grey
                patches that spread within days and white fuzz under the leaves.

                What to do now:
                - Remove the affected leaves and throw them in the bin, not the compost.
                - Strip the bottom 30 cm of foliage so no leaf touches the soil.
                - Mulch with straw so rain can't splash spores up.
                - Water at the base in the morning, never over the leaves.
                - A copper-based fungicide can slow it down if it keeps spreading; it protects new growth but
                  won't cure leaves already infected.

                Next year, rotate: don't grow tomatoes, potatoes or peppers in that bed for 3 years, and leave
                more space between plants for air flow.
                """,
            ),
            ("user", "Can I still eat the tomatoes?"),
            (
                "assistant",
                """
                Yes. Early blight affects the foliage and sometimes causes dark sunken spots near the stem
                end of the fruit; cut those parts away and the rest is perfectly fine to eat.
                """,
            ),
        ],
    },
    {
        "slug": "tv-mount-drywall",
        "title": "Mounting a TV without studs",
        "when": "2024-11-30 14:05",
        "turns": [
            (
                "user",
                """
                I want to hang a 55 inch TV (about 18 kg) on a wall but the studs are in the wrong place, the
                stud finder shows one at the very edge. Is it safe to just use drywall anchors?
                """,
            ),
            (
                "assistant",
                """
                Plastic expansion anchors are not safe for a TV, no. They are rated for a few kilos each and
                a TV on an articulating arm puts a big leverage force on the top screws.

                Your options, from best to acceptable:
                1. **Use the one stud plus a mounting board.** Screw a wooden board (or a flat plywood plate)
                   across the wall into the stud you have and into anything else solid, then mount the TV
                   bracket to the board.
                2. **Heavy-duty toggle bolts.** Metal toggle bolts (e.g. snap toggles) spread the load behind
                   the plasterboard and are rated around 100 kg each in shear in 12.5 mm drywall. Use at least
                   four, and only with a **fixed or tilting** mount, not a long swing arm.
                3. **A mount made for wide stud spacing**, with a longer wall plate that reaches two studs.

                Whatever you choose, check for cables and pipes before drilling, and put the level on the
                bracket, not on the TV.
                """,
            ),
        ],
    },
    {
        "slug": "smart-thermostat",
        "title": "Smart thermostat without a C-wire",
        "when": "2025-03-02 19:30",
        "turns": [
            (
                "user",
                """
                Bought a smart thermostat and when I took the old one off there are only 4 wires: R, W, Y, G.
                The box says it needs a C wire. Did I buy the wrong thing?
                """,
            ),
            (
                "assistant",
                """
                Not necessarily. The C (common) wire gives the thermostat continuous 24 V power for its screen
                and Wi-Fi. Without it, some models steal power through the heating wire, which can make the
                furnace click on and off. You have a few ways around it:

                - **Look behind the wall plate and at the furnace.** Often there's an unused blue wire folded
                  back into the wall. If it's there, connect it to C at both ends.
                - **Use the adapter** that many brands ship in the box (a power extender kit). It installs at
                  the furnace control board and turns your 4 wires into 5.
                - **Add a 24 V transformer** plugged into an outlet near the thermostat, if the furnace is
                  hard to reach.

                Turn off the power at the breaker before touching the furnace board, and take a photo of the
                old wiring first.
                """,
            ),
        ],
    },
    {
        "slug": "cat-vomiting",
        "title": "Cat throws up after eating",
        "when": "2024-05-21 07:48",
        "turns": [
            (
                "user",
                """
                My cat (3 years old, indoor) throws up his dry food maybe 10 minutes after eating, a few times a
                week. It comes out basically whole. He's otherwise playful and eats normally. Should I worry?
                """,
            ),
            (
                "assistant",
                """
                Undigested food coming back up shortly after a meal is very often **"scarf and barf"**: the cat
                eats so fast that the stomach stretches and sends it right back. It's common and usually easy
                to fix:

                - **Slow feeder bowl** or a puzzle feeder, so he can't gulp.
                - **Smaller, more frequent meals**: split the daily amount into 3–4 portions.
                - Spread kibble on a flat plate or a baking tray.
                - If there's another pet, feed them apart; competition makes cats eat faster.

                Hairballs look different (a tube of hair, usually with liquid) and often follow grooming.

                See the vet if he loses weight, vomits more than a couple of times a week even with a slow
                feeder, has diarrhoea, stops eating, or seems lethargic. Those point to something like a food
                intolerance or a gut problem rather than speed.
                """,
            ),
        ],
    },
    {
        "slug": "dog-leash",
        "title": "Dog pulls on the leash",
        "when": "2024-09-09 21:10",
        "turns": [
            (
                "user",
                """
                Our rescue dog is about 25 kg and pulls like crazy on walks, especially when she sees other
                dogs. My arms hurt after every walk. Harness or collar? How do I train this?
                """,
            ),
            (
                "assistant",
                """
                For a strong puller, a **front-clip harness** is the kindest quick win: the leash attaches at
                the chest, so when she pulls she turns sideways instead of forward. Avoid choke and prong
                collars; they suppress the pulling through pain and often make reactivity to other dogs worse.

                Training loose-leash walking:
                1. **Be a tree.** The moment the leash goes tight, stop completely. Move again only when it
                   slackens. Boring but it works.
                2. **Reward the position you want.** Treat her next to your leg every few steps at first, so
                   being near you pays.
                3. **Change direction** when she charges ahead, and reward when she catches up.
                4. **Distance from other dogs.** Reactivity is its own issue: cross the street, and reward her
                   for looking at the other dog calmly (the "look at that" game) from a distance where she
                   can still take food.

                Short, frequent training walks beat one long frustrating one.
                """,
            ),
        ],
    },
    {
        "slug": "check-engine-p0420",
        "title": "Check engine light P0420",
        "when": "2025-04-17 12:31",
        "turns": [
            (
                "user",
                """
                Check engine light came on in my 2012 Corolla. Cheap OBD reader says P0420. Car drives fine.
                The garage wants to replace the catalytic converter for a lot of money. Is that really needed?
                """,
            ),
            (
                "assistant",
                """
                P0420 means "catalyst system efficiency below threshold (bank 1)": the downstream oxygen sensor
                sees almost the same signal as the upstream one, so the computer concludes the converter isn't
                doing its job. A failing converter is the most common cause, but not the only one, and it's
                worth ruling out the cheaper ones first:

                - **A faulty downstream O2 sensor** giving a wrong reading.
                - **An exhaust leak** before or near the sensor (a cracked manifold or a loose flange).
                - **Engine problems** that damage the converter: misfires, burning oil, a rich mixture. Fix
                  these first or a new converter will fail too.

                Ask the garage for the live data graph of both O2 sensors: a healthy converter gives a steady
                downstream signal while the upstream one switches quickly. If the downstream one mirrors the
                upstream, the converter is really worn out. Driving with P0420 for a while isn't dangerous,
                but you may fail an emissions inspection.
                """,
            ),
        ],
    },
    # --- travel ---------------------------------------------------------------------------------------
    {
        "slug": "kyoto-osaka",
        "title": "Kyoto and Osaka in November",
        "when": "2024-08-25 22:14",
        "turns": [
            (
                "user",
                """
                Planning 5 days split between Kyoto and Osaka in mid November, first time in Japan. We want
                temples and autumn leaves but hate crowds. Also is the JR Pass worth it for just this?
                """,
            ),
            (
                "assistant",
                """
                Mid-November is peak autumn colour in Kyoto, which is gorgeous and also the busiest time of
                the year. The trick is to go early.

                **Suggested split: 3 nights Kyoto, 2 nights Osaka.**
                - **Day 1, Kyoto east:** Fushimi Inari at 7 am (the gates are open 24 hours, the crowds arrive
                  at 9), then Tofuku-ji for the maple bridge, evening in Gion.
                - **Day 2, Arashiyama:** bamboo grove at sunrise, Tenryu-ji, then the quieter Gio-ji and
                  Otagi Nenbutsu-ji temples further up the hill.
                - **Day 3, north Kyoto:** Kurama to Kibune hike, back for Eikan-do's evening illumination.
                - **Day 4, Nara day trip** (deer, Todai-ji), ending in Osaka.
                - **Day 5, Osaka:** Dotonbori street food, Kuromon market, Osaka Castle park.

                **JR Pass:** not worth it for this trip since the 2023 price increase. Kyoto–Osaka is about
                an hour on the regular JR line for a few hundred yen, and Kyoto's buses and subway aren't
                covered anyway. Get an ICOCA card and pay as you go.
                """,
            ),
        ],
    },
    {
        "slug": "iceland-winter",
        "title": "Iceland road trip in March",
        "when": "2025-01-06 09:03",
        "turns": [
            (
                "user",
                """
                Thinking about renting a car and doing the Ring Road in Iceland in early March, 7 days. Is that
                crazy? We really want to see the northern lights.
                """,
            ),
            (
                "assistant",
                """
                Not crazy, but the full Ring Road in 7 days in March is ambitious: daylight is about 11 hours,
                and storms can close roads for a day at a time. I'd suggest the **south coast and the Golden
                Circle** instead, with the option to go further east if the weather is kind.

                - Rent a **4x4 with studded tyres** (standard in winter) and take the gravel protection.
                - Check **road.is** for road conditions and **vedur.is** for the weather and the aurora
                  forecast every morning; plan with one spare day.
                - F-roads (the highland tracks) are closed in winter: you can't drive them at all.
                - Northern lights need darkness and clear skies. Stay outside towns, look at the cloud cover
                  map, and be patient between 22:00 and 02:00.

                Rough plan: Reykjavik → Golden Circle → Vik → Jökulsárlón glacier lagoon → back west, with
                a night in Höfn if roads are open.
                """,
            ),
        ],
    },
    # --- money, career, writing -------------------------------------------------------------------------
    {
        "slug": "salary-counteroffer",
        "title": "Negotiating a job offer",
        "when": "2025-05-12 17:20",
        "turns": [
            (
                "user",
                """
                Got an offer for a senior backend role: 92k base. My research says the range for this role in
                my city is 95–110k. I really want the job. How do I ask for more without losing it?
                """,
            ),
            (
                "assistant",
                """
                Asking politely almost never makes an offer disappear, and a company that has decided to hire
                you expects a counter. Keep it short, positive and anchored on data:

                > Thank you again for the offer, I'm excited about the team and the role. Based on my
                > research for senior backend positions in this area and the scope we discussed, I was
                > expecting a base closer to 105k. Is there flexibility there?

                Tips:
                - **Name a number** slightly above where you'd be happy (105k if you'd accept 100k).
                - Say it on a call if you can, then confirm by email.
                - If base is fixed, ask about a signing bonus, an earlier review at 6 months, extra vacation
                  or a training budget.
                - Don't apologise and don't give a long list of personal reasons; the market rate is the
                  reason.
                """,
            ),
        ],
    },
    {
        "slug": "best-man-speech",
        "title": "Best man speech",
        "when": "2024-06-01 23:41",
        "turns": [
            (
                "user",
                """
                I'm the best man at my brother's wedding in two weeks and I'm terrified. We grew up fishing with
                our grandpa, he met his wife at a pub quiz. Can you help me structure a 4 minute speech?
                """,
            ),
            (
                "assistant",
                """
                Four minutes is about 500 spoken words, which is the sweet spot. A structure that works:

                1. **Open (30 s):** introduce yourself and a light joke about being nervous or about being
                   the better-looking brother.
                2. **The brother (90 s):** one story, not five. The fishing trips with your grandpa are
                   perfect: a specific moment that shows who he is (patient, stubborn, the one who always
                   untangled your line).
                3. **The couple (90 s):** how they met at the pub quiz, and the moment you knew she was the
                   one for him. If she beat him at the quiz, use it.
                4. **Close (30 s):** a short wish for them and the toast: "Please raise your glasses…"

                Avoid inside jokes only three people get, exes, and anything you wouldn't say in front of
                grandma. Practise it out loud five times, and print it on cards in a big font.
                """,
            ),
        ],
    },
    {
        "slug": "budget-table",
        "title": "Monthly budget planning",
        "when": "2025-06-08 20:02",
        "turns": [
            (
                "user",
                """
                I want to get my finances in order. Take-home pay is 3,400 a month. Rent 1,150, car loan 280,
                phone 45, internet 40, groceries maybe 400, eating out probably 250 if I'm honest. Where do I
                even start?
                """,
            ),
            (
                "assistant",
                """
                A simple framework to start from is the 50/30/20 split: about 50 % of take-home pay for needs,
                30 % for wants, 20 % for savings and paying down debt. On 3,400 that's 1,700 / 1,020 / 680.

                Your needs so far: rent 1,150 + car 280 + phone 45 + internet 40 + groceries 400 = 1,915,
                which is about 56 %. A little over, mostly because of rent, which is normal in many cities.
                Eating out at 250 sits in wants. That leaves room to save if the rest of the wants stay
                modest.

                What else do you spend on regularly? Subscriptions, insurance, transport, gifts?
                """,
            ),
            ("user", "Car insurance is 95, gas about 120, streaming stuff maybe 35 total, gym 30."),
            (
                "assistant",
                """
                Thanks. Adding those: needs become 1,915 + insurance 95 + gas 120 = 2,130 (63 %). Wants:
                eating out 250 + streaming 35 + gym 30 = 315 (9 %). That leaves 3,400 − 2,130 − 315 = 955 a
                month unassigned, which is great news: that's 28 % you can direct on purpose.

                I'd suggest first building an emergency fund of three months of needs (about 6,400), then
                splitting between extra car loan payments and retirement savings.
                """,
            ),
            ("user", "ok that makes sense. how long until the emergency fund is full if I put 600 a month in?"),
            (
                "assistant",
                """
                At 600 a month, 6,400 takes about 10.7 months, so call it 11 months. If you also put any tax
                refund or bonus straight into it, you'll probably get there in 8 or 9. Keep it in a separate
                high-yield savings account so it's not mixed with your spending money.
                """,
            ),
            ("user", "and the other 355?"),
            (
                "assistant",
                """
                With the remaining 355: put 200 towards retirement (if your employer matches contributions,
                contribute at least enough to get the full match first, it's free money), and 155 as an extra
                payment on the car loan or into a sinking fund for irregular costs like car repairs, holidays
                and gifts. Sinking funds stop those from landing on a credit card.
                """,
            ),
            ("user", "can you write that out again as a table so I can copy it into my notes?"),
            (
                "assistant",
                """
                | category | item | monthly |
                |---|---|---|
                | needs | rent | 1,150 |
                | needs | car loan | 280 |
                | needs | car insurance | 95 |
                | needs | gas | 120 |
                | needs | groceries | 400 |
                | needs | phone + internet | 85 |
                | wants | eating out | 250 |
                | wants | streaming | 35 |
                | wants | gym | 30 |
                | savings | emergency fund | 600 |
                | savings | retirement | 200 |
                | savings | sinking fund / extra car payment | 155 |
                | **total** | | **3,400** |
                """,
            ),
            ("user", "perfect, thank you. I'll check back in a month and tell you how it went"),
            (
                "assistant",
                """
                Sounds good! Track every expense for that month, even small ones, so you can compare the plan
                with reality. The first month is always a bit off; adjust the categories rather than giving
                up on the budget.
                """,
            ),
        ],
    },
    {
        "slug": "moving-checklist",
        "title": "Moving to a new apartment",
        "when": "2024-12-03 11:19",
        "turns": [
            (
                "user",
                """
                I'm moving to a new apartment across town on January 15. Lease ends the 31st so there's some
                overlap. I have a cat, a lot of books and a dodgy back. What should I be doing and when?
                """,
            ),
            (
                "assistant",
                """
                Two weeks of overlap is a luxury, use it. A timeline:

                **Now (6 weeks out)**
                - Book movers or a van for the 15th; January dates are cheaper than summer but fill up.
                - Start decluttering the books: donate or sell what you won't reread.

                **4 weeks out**
                - Collect boxes. Books go in **small** boxes only, or they get too heavy to lift safely.
                - Notify your landlord in writing and ask how the deposit inspection works.

                **2 weeks out**
                - Set up internet and electricity at the new place from the 15th.
                - Change your address with the bank, employer, post office.

                **Moving day**
                - Keep the cat shut in the bathroom with food, water and a litter box, with a sign on the
                  door, and move them last.

                **Last two weeks**
                - Clean the old flat, photograph every room, return keys, get the deposit back.
                """,
            ),
            ("user", "what's the second option you mentioned for the books, selling them? where?"),
            (
                "assistant",
                """
                For selling books: second-hand bookshops buy good-condition fiction and nonfiction, often for
                store credit; online buyback sites scan the barcode and give an instant price (low, but they
                take everything in one box); and local marketplace groups work well for sets and collectors'
                editions. Anything left over can go to a library sale or a charity shop.
                """,
            ),
            ("user", "let's go back to the moving day part, how do I keep the cat calm in the new place?"),
            (
                "assistant",
                """
                Set up one small room in the new apartment as the cat's base before you bring them in: litter
                box, food, water, a bed and something that smells like home (an unwashed blanket). Keep them
                in that room for a few days, visit often, and open the door to the rest of the flat once they
                eat and use the litter box normally. A pheromone diffuser plugged in a day before can help.
                """,
            ),
        ],
    },
    {
        "slug": "novel-outline",
        "title": "Mystery novel outline",
        "when": "2025-07-22 21:33",
        "model": "gpt-4o",
        "turns": [
            (
                "user",
                """
                I'm writing a cozy mystery set in a seaside bakery. The baker, Maud, finds the harbour master
                dead in her walk-in fridge. Help me outline the first act?
                """,
            ),
            (
                "assistant",
                """
                Here's a first act in eight beats:

                1. **Ordinary morning.** Maud opens the bakery at 5 am, the town's rhythms, her rivalry with
                   the café across the square.
                2. **The body.** She finds the harbour master in the walk-in fridge, a bag of flour split open
                   beside him.
                3. **The suspect.** The new police sergeant, an outsider, notes that only Maud and her
                   apprentice have keys.
                4. **The stakes.** The bakery is closed as a crime scene right before the summer festival,
                   Maud's busiest week.
                5. **First clue.** Flour footprints lead to the back door, but they are a size too big for
                   anyone who works there.
                6. **A motive appears.** The harbour master had been refusing renewal of the fishermen's
                   mooring licences.
                7. **Maud decides to investigate**, partly to clear her name, partly because she's nosy.
                8. **Turn into act two:** she finds a torn ferry ticket in the dough mixer.
                """,
            ),
            ("user", "that's not quite what I meant, make it shorter, one line per beat"),
            (
                "assistant",
                """
                1. Maud opens the bakery at dawn.
                2. She finds the harbour master dead in her walk-in fridge.
                3. The new sergeant suspects her: only she and her apprentice have keys.
                4. The bakery is closed before the summer festival.
                5. Oversized flour footprints lead to the back door.
                6. The victim was blocking the fishermen's mooring licences.
                7. Maud starts investigating.
                8. A torn ferry ticket turns up in the dough mixer.
                """,
            ),
            ("user", "good. now give the apprentice a secret"),
            (
                "assistant",
                """
                The apprentice, Jonah, has been sleeping in the bakery's storeroom since his father threw him
                out, which is why his key was used at 2 am on the night of the murder. He didn't see the
                killer, but he heard two voices arguing about "the list" and he's too scared to admit where
                he was.
                """,
            ),
        ],
    },
    # --- fitness and health -------------------------------------------------------------------------------
    {
        "slug": "marathon-taper",
        "title": "Marathon taper and carb loading",
        "when": "2025-09-28 06:50",
        "turns": [
            (
                "user",
                """
                Three weeks until my first marathon. Longest run was 32 km last weekend. How should I taper and
                should I be carb loading?
                """,
            ),
            (
                "assistant",
                """
                Congratulations on the 32 km, that's the hard part done. A classic three-week taper:

                - **Week 3 before:** cut weekly volume to about 75–80 % of your peak, keep one long run of
                  24–26 km.
                - **Week 2 before:** about 60 %, long run 16–18 km, keep a few short bursts at marathon pace.
                - **Race week:** about 40 %, a couple of easy 5–8 km runs with 2–3 km at goal pace early in the
                  week, then rest or a 20-minute shakeout the day before.

                Keep intensity, drop volume. You'll feel sluggish and restless ("taper madness"): that's
                normal.

                **Carb loading:** for the 2–3 days before the race, raise carbohydrates to roughly 8–10 g per
                kg of body weight per day, with less fibre and fat. Rice, pasta, bread, potatoes, juice. You
                will gain a kilo or so of water weight; that's the glycogen being stored. Eat a familiar
                breakfast 3 hours before the start and practise your race-day gels during the long runs.
                """,
            ),
        ],
    },
    {
        "slug": "cycling-knee",
        "title": "Knee pain after cycling",
        "when": "2024-04-11 19:25",
        "turns": [
            (
                "user",
                """
                Started cycling to work (12 km each way) a month ago. Now the front of my knees hurt after the
                ride, especially going up stairs. Bike is a second-hand road bike.
                """,
            ),
            (
                "assistant",
                """
                Pain at the **front** of the knee in new cyclists is very often a **saddle that is too low**
                (and sometimes too far forward). A low saddle makes the knee bend too much under load, which
                stresses the kneecap tendon.

                Quick checks:
                - With your heel on the pedal at the bottom of the stroke, your leg should be almost straight.
                  Then, pedalling normally on the ball of the foot, you'll have a slight bend.
                - Raise the saddle in small steps of 5 mm, and ride a few days between changes.
                - Use easier gears and spin faster rather than pushing hard gears up hills.

                Pain at the **back** of the knee usually means the saddle is too high instead. If the pain
                continues after a proper fit, or there's swelling, see a physio. A professional bike fit is
                worth the money if you ride every day.
                """,
            ),
        ],
    },
    {
        "slug": "baby-sleep-regression",
        "title": "4 month sleep regression",
        "when": "2025-03-19 03:12",
        "turns": [
            (
                "user",
                """
                our baby is 4 months and suddenly wakes every 90 minutes at night. she used to do 5 hour
                stretches. we are exhausted. is this the regression thing? will it end?
                """,
            ),
            (
                "assistant",
                """
                That sounds exactly like the four-month sleep regression, and I'm sorry, it's a brutal one.
                It's really a progression: around this age babies' sleep changes permanently to adult-like
                cycles of about 90 minutes, with a light phase at the end of each one. If she falls asleep
                being fed or rocked, she wakes fully at each transition looking for the same conditions.

                What helps:
                - **Drowsy but awake** at bedtime, at least for the first sleep, so she practises linking
                  cycles herself.
                - **Consistent bedtime routine**: bath, feed, song, bed, in the same order.
                - **Watch wake windows**: at 4 months about 1.5–2 hours awake between naps; overtired babies
                  wake more at night.
                - **Dark room and white noise.**
                - Tag-team nights with your partner so each of you gets one protected block of sleep.

                It usually improves within 2–6 weeks. If she seems unwell, isn't feeding or you're worried,
                call your paediatrician.
                """,
            ),
        ],
    },
    # --- Docker x3 -------------------------------------------------------------------------------------
    {
        "slug": "docker-compose-postgres",
        "title": "App container can't reach Postgres",
        "when": "2025-02-20 15:02",
        "turns": [
            (
                "user",
                """
                I have docker compose with a `web` service (FastAPI) and a `db` service (postgres:16). The app
                crashes on startup with:

                ```
                sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "localhost" (127.0.0.1), port 5432 failed: Connection refused
                \tIs the server running on that host and accepting TCP/IP connections?
                ```

                Running the same code on my laptop works. DATABASE_URL is postgresql://app:secret@localhost:5432/app
                """,
            ),
            (
                "assistant",
                """
                Inside a container, `localhost` is the container itself, not your laptop and not the `db`
                container. Compose puts both services on one network where each service is reachable by its
                **service name**. Change the URL to:

                ```
                DATABASE_URL=postgresql://app:secret@db:5432/app
                ```

                The second problem you'll probably hit next: the app starting before Postgres is ready to
                accept connections. `depends_on` only waits for the container to start. Add a healthcheck:

                ```yaml
                services:
                  db:
                    image: postgres:16
                    healthcheck:
                      test: ["CMD-SHELL", "pg_isready -U app"]
                      interval: 2s
                      retries: 15
                  web:
                    build: .
                    depends_on:
                      db:
                        condition: service_healthy
                ```

                Keep `localhost:5432` in your local `.env` for running outside Docker, and set the compose
                value in the `environment:` section.
                """,
            ),
        ],
    },
    {
        "slug": "docker-image-size",
        "title": "Shrinking a Python Docker image",
        "when": "2025-04-03 10:44",
        "turns": [
            (
                "user",
                """
                Our Python API image is 1.9 GB and CI takes forever to push it. Dockerfile is basically
                FROM python:3.12, COPY . ., pip install -r requirements.txt. How do I make it smaller?
                """,
            ),
            (
                "assistant",
                """
                Three changes usually take an image like that from ~1.9 GB to 150–250 MB:

                1. **Slim base image.** `python:3.12` is Debian with compilers and docs; `python:3.12-slim`
                   is about a tenth of the size. Avoid Alpine for Python: musl breaks many wheels and builds
                   get slower.
                2. **Multi-stage build.** Compile wheels in a builder stage, copy only the installed packages:

                ```dockerfile
                FROM python:3.12-slim AS builder
                WORKDIR /app
                COPY requirements.txt .
                RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

                FROM python:3.12-slim
                WORKDIR /app
                COPY --from=builder /wheels /wheels
                RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
                COPY . .
                CMD ["uvicorn", "main:app", "--host", "0.0.0.0"]
                ```

                3. **A `.dockerignore`** with `.git`, `.venv`, `__pycache__`, test data and notebooks, or
                   `COPY . .` drags them all in.

                Copying `requirements.txt` before the source also keeps the dependency layer cached, so CI
                pushes only the small top layer when only code changes. `docker history <image>` shows which
                layer is heavy.
                """,
            ),
        ],
    },
    {
        "slug": "docker-volume-permissions",
        "title": "Permission denied on a bind mount",
        "when": "2025-05-27 13:37",
        "turns": [
            (
                "user",
                """
                Running a container that writes to a folder I mount with `-v ./data:/data`. Inside the container
                the app runs as user `node` and gets `EACCES: permission denied, open '/data/cache.json'`. On
                the host the folder belongs to me. What's the right fix, not chmod 777?
                """,
            ),
            (
                "assistant",
                """
                A bind mount keeps the host's numeric owner. Inside the container `node` is UID 1000; your host
                user may be a different UID (check with `id -u`), so the container user isn't the owner.

                Clean options:
                - **Run the container as your UID:** `docker run --user "$(id -u):$(id -g)" -v ./data:/data …`
                  In compose: `user: "${UID}:${GID}"` with those exported in your shell.
                - **Make the folder owned by UID 1000** on the host: `sudo chown -R 1000:1000 ./data`, if the
                  folder is only used by this container.
                - **Use a named volume** instead of a bind mount (`-v appdata:/data`); Docker creates it with
                  the image's ownership of `/data`, as long as the Dockerfile creates that folder and chowns
                  it to `node`.
                - With **rootless Docker or Podman**, UIDs are remapped: `podman unshare chown 1000:1000 ./data`
                  or `--userns=keep-id`.

                Avoid 777: anything in any container can then write there.
                """,
            ),
        ],
    },
    # --- Python ------------------------------------------------------------------------------------------------
    {
        "slug": "python-asyncio-semaphore",
        "title": "Limit concurrent requests with asyncio",
        "when": "2024-10-29 11:58",
        "turns": [
            (
                "user",
                """
                I'm downloading ~5,000 URLs with aiohttp and asyncio.gather and the API starts returning 429
                Too Many Requests. How do I limit it to like 10 requests at a time?
                """,
            ),
            (
                "assistant",
                """
                Wrap each request in an `asyncio.Semaphore`: at most N coroutines can hold it at once, the
                rest wait.

                ```python
                import asyncio
                import aiohttp

                LIMIT = asyncio.Semaphore(10)

                async def fetch(session: aiohttp.ClientSession, url: str) -> bytes:
                    async with LIMIT:
                        for attempt in range(5):
                            async with session.get(url) as resp:
                                if resp.status == 429:
                                    retry = float(resp.headers.get("Retry-After", 2 ** attempt))
                                    await asyncio.sleep(retry)
                                    continue
                                resp.raise_for_status()
                                return await resp.read()
                        raise RuntimeError(f"gave up on {url}")

                async def main(urls: list[str]) -> list[bytes]:
                    async with aiohttp.ClientSession() as session:
                        return await asyncio.gather(*(fetch(session, u) for u in urls))
                ```

                Two more things: pass `connector=aiohttp.TCPConnector(limit=10)` to cap open sockets too, and
                honour `Retry-After` as above rather than hammering. If the API documents a rate (say 50 per
                second), a token bucket like `aiolimiter.AsyncLimiter(50, 1)` is more precise than a fixed
                concurrency.
                """,
            ),
        ],
    },
    {
        "slug": "pandas-merge-duplicates",
        "title": "pandas merge creates duplicate rows",
        "when": "2025-01-28 14:26",
        "turns": [
            (
                "user",
                """
                I merge orders (12,000 rows) with customers on customer_id and get 12,840 rows back. Why does a
                left join give MORE rows?
                """,
            ),
            (
                "assistant",
                """
                Because some `customer_id`s appear more than once in `customers`. A merge returns one row per
                matching **pair**, so an order whose customer appears twice comes back twice.

                Find the culprits:

                ```python
                dupes = customers[customers.duplicated("customer_id", keep=False)]
                print(dupes.sort_values("customer_id").head(20))
                ```

                Then decide what the right customer row is (the latest one, say) and deduplicate before
                merging:

                ```python
                latest = (customers.sort_values("updated_at")
                                   .drop_duplicates("customer_id", keep="last"))
                merged = orders.merge(latest, on="customer_id", how="left", validate="many_to_one")
                ```

                `validate="many_to_one"` makes pandas raise a `MergeError` if the right side isn't unique, so
                this can't silently happen again.
                """,
            ),
        ],
    },
    {
        "slug": "python-circular-import",
        "title": "ImportError: cannot import name (circular import)",
        "when": "2025-06-30 09:15",
        "turns": [
            (
                "user",
                """
                Flask app, I split models into their own file and now it won't start:

                ```
                Traceback (most recent call last):
                  File "/srv/app/run.py", line 1, in <module>
                    from app import create_app
                  File "/srv/app/app/__init__.py", line 4, in <module>
                    from app.models import User
                  File "/srv/app/app/models.py", line 2, in <module>
                    from app import db
                ImportError: cannot import name 'db' from partially initialized module 'app' (most likely due to a circular import) (/srv/app/app/__init__.py)
                ```
                """,
            ),
            (
                "assistant",
                """
                `app/__init__.py` imports `models`, and `models` imports `db` from `app` while `app` is still
                half-executed, so `db` doesn't exist yet. The usual fix for Flask is to create the extension
                objects in their own module that imports nothing from your app:

                ```python
                # app/extensions.py
                from flask_sqlalchemy import SQLAlchemy
                db = SQLAlchemy()
                ```

                ```python
                # app/models.py
                from app.extensions import db

                class User(db.Model):
                    id = db.Column(db.Integer, primary_key=True)
                ```

                ```python
                # app/__init__.py
                from flask import Flask
                from app.extensions import db

                def create_app():
                    app = Flask(__name__)
                    app.config.from_prefixed_env()
                    db.init_app(app)
                    from app import models  # noqa: F401  (registers the tables)
                    return app
                ```

                This is the application factory pattern: nothing heavy happens at import time, so the order
                of imports stops mattering.
                """,
            ),
        ],
    },
    {
        "slug": "jupyter-module-not-found",
        "title": "ModuleNotFoundError in Jupyter after pip install",
        "when": "2024-03-08 16:03",
        "turns": [
            (
                "user",
                """
                I did `pip install polars` in the terminal, it says successfully installed, but in my notebook:

                ```
                ModuleNotFoundError                       Traceback (most recent call last)
                Cell In[3], line 1
                ----> 1 import polars as pl

                ModuleNotFoundError: No module named 'polars'
                ```
                """,
            ),
            (
                "assistant",
                """
                Your terminal's `pip` and the notebook's kernel are different Python installations. The
                package went into one, the notebook runs the other.

                From inside the notebook, install into the kernel's own interpreter:

                ```python
                %pip install polars
                ```

                (`%pip` always targets the running kernel; `!pip` may not.) To see which interpreter the
                notebook uses: `import sys; print(sys.executable)`.

                The durable fix is to register your virtual environment as a kernel:

                ```bash
                source .venv/bin/activate
                pip install ipykernel
                python -m ipykernel install --user --name myproject
                ```

                then pick "myproject" from the kernel menu. Restart the kernel after installing.
                """,
            ),
        ],
    },
    # --- JS / TS -----------------------------------------------------------------------------------------------
    {
        "slug": "react-useeffect-twice",
        "title": "useEffect runs twice",
        "when": "2024-12-12 10:30",
        "turns": [
            (
                "user",
                """
                My React component's useEffect fires twice on mount in development, so my analytics event gets
                sent twice and the API is called twice. Production build seems fine. Bug?
                """,
            ),
            (
                "assistant",
                """
                Not a bug: React 18 **StrictMode** mounts, unmounts and remounts every component once in
                development to surface effects that don't clean up after themselves. Production mounts once.

                Don't remove StrictMode; make the effect safe to run twice:

                ```tsx
                useEffect(() => {
                  const controller = new AbortController();
                  fetch(`/api/orders/${orderId}`, { signal: controller.signal })
                    .then((res) => res.json())
                    .then(setOrder)
                    .catch((err) => {
                      if (err.name !== "AbortError") setError(err);
                    });
                  return () => controller.abort();
                }, [orderId]);
                ```

                For one-off side effects like analytics, fire them from the event that caused them (a click,
                a route change) rather than from an effect, or guard with a `useRef` flag. For data fetching,
                a library such as TanStack Query deduplicates requests for you.
                """,
            ),
        ],
    },
    {
        "slug": "ts-discriminated-union",
        "title": "TypeScript narrowing on a union type",
        "when": "2025-03-25 17:48",
        "turns": [
            (
                "user",
                """
                I have `type Shape = Circle | Square | Triangle` and a switch on `shape.kind`. When I add a new
                shape I forget to handle it and nothing complains. Also I get this in one branch:

                ```
                error TS2339: Property 'radius' does not exist on type 'Shape'.
                  Property 'radius' does not exist on type 'Square'.
                ```
                """,
            ),
            (
                "assistant",
                """
                Both are solved by making `kind` a literal discriminant and adding an exhaustiveness check.

                ```ts
                type Circle = { kind: "circle"; radius: number };
                type Square = { kind: "square"; side: number };
                type Triangle = { kind: "triangle"; base: number; height: number };
                type Shape = Circle | Square | Triangle;

                function assertNever(x: never): never {
                  throw new Error(`Unhandled shape: ${JSON.stringify(x)}`);
                }

                function area(shape: Shape): number {
                  switch (shape.kind) {
                    case "circle":
                      return Math.PI * shape.radius ** 2; // narrowed to Circle
                    case "square":
                      return shape.side ** 2;
                    case "triangle":
                      return (shape.base * shape.height) / 2;
                    default:
                      return assertNever(shape);
                  }
                }
                ```

                TS2339 happens when you access `shape.radius` before narrowing, e.g. outside the `case`, or
                when `kind` is typed as `string` instead of a literal. With `assertNever`, adding a `Hexagon`
                to the union makes the `default` branch a compile error until you handle it.
                """,
            ),
        ],
    },
    {
        "slug": "js-debounce-search",
        "title": "Debounce a search box",
        "when": "2024-02-14 20:18",
        "turns": [
            (
                "user",
                """
                Plain JavaScript, no framework. I have a search input that calls the API on every keystroke.
                How do I wait until the user stops typing for 300 ms?
                """,
            ),
            (
                "assistant",
                """
                That's a debounce: restart a timer on every keystroke and only call the function when the timer
                runs out.

                ```js
                function debounce(fn, delay = 300) {
                  let timer;
                  return (...args) => {
                    clearTimeout(timer);
                    timer = setTimeout(() => fn(...args), delay);
                  };
                }

                const input = document.querySelector("#search");
                let controller;

                const runSearch = debounce(async (term) => {
                  controller?.abort();
                  controller = new AbortController();
                  const res = await fetch(`/api/search?q=${encodeURIComponent(term)}`, {
                    signal: controller.signal,
                  });
                  renderResults(await res.json());
                });

                input.addEventListener("input", (e) => runSearch(e.target.value.trim()));
                ```

                The `AbortController` cancels a slow earlier request, so results for "ca" can't arrive after
                the results for "cat" and overwrite them.
                """,
            ),
        ],
    },
    # --- SQL ---------------------------------------------------------------------------------------------------
    {
        "slug": "sql-running-total",
        "title": "Running total and latest row per customer",
        "when": "2025-08-05 09:40",
        "turns": [
            (
                "user",
                """
                Postgres. Table payments(customer_id, paid_at, amount). I need (1) a running total per customer
                ordered by date and (2) just the most recent payment for each customer.
                """,
            ),
            (
                "assistant",
                """
                Both are window functions.

                **1. Running total**

                ```sql
                SELECT customer_id,
                       paid_at,
                       amount,
                       SUM(amount) OVER (PARTITION BY customer_id ORDER BY paid_at
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total
                FROM payments
                ORDER BY customer_id, paid_at;
                ```

                `ROWS BETWEEN …` matters when two payments share a timestamp: the default frame (`RANGE`)
                would add both at once.

                **2. Latest payment per customer**

                ```sql
                SELECT *
                FROM (
                  SELECT p.*, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY paid_at DESC) AS rn
                  FROM payments p
                ) ranked
                WHERE rn = 1;
                ```

                In Postgres specifically, `SELECT DISTINCT ON (customer_id) * FROM payments ORDER BY
                customer_id, paid_at DESC;` does the same and is often faster with an index on
                `(customer_id, paid_at DESC)`.
                """,
            ),
        ],
    },
    {
        "slug": "postgres-slow-query",
        "title": "Slow Postgres query, sequential scan",
        "when": "2025-10-14 15:55",
        "turns": [
            (
                "user",
                """
                This query takes 4 seconds on a table with 30M rows:

                SELECT * FROM events WHERE account_id = 42 AND created_at > now() - interval '7 days'
                ORDER BY created_at DESC LIMIT 50;

                There's an index on account_id. EXPLAIN says Seq Scan on events. Why isn't it using my index?
                """,
            ),
            (
                "assistant",
                """
                With a single-column index on `account_id`, Postgres would still have to fetch every row of
                account 42, filter by date and sort. If account 42 is a big account, the planner estimates a
                sequential scan is cheaper. What you want is a **composite index** that matches both the filter
                and the order:

                ```sql
                CREATE INDEX CONCURRENTLY events_account_created_idx
                    ON events (account_id, created_at DESC);
                ```

                Then the plan becomes an Index Scan that reads the 50 newest rows of that account and stops.

                Check with `EXPLAIN (ANALYZE, BUFFERS)`, which shows real times and how many pages were read,
                not only estimates. If estimates are far off from actual rows, run `ANALYZE events;` so the
                statistics are fresh. And avoid `SELECT *` if you only need a few columns: an index-only scan
                with `INCLUDE (…)` columns can skip the table entirely.
                """,
            ),
        ],
    },
    # --- shell ---------------------------------------------------------------------------------------------------
    {
        "slug": "bash-rename-files",
        "title": "Rename files with spaces in bash",
        "when": "2024-01-22 22:47",
        "turns": [
            (
                "user",
                """
                I have a few hundred photos like "IMG 2023 Summer Trip (1).JPG" in nested folders. I want
                lowercase names with underscores instead of spaces, e.g. img_2023_summer_trip_(1).jpg. My for
                loop breaks on the spaces.
                """,
            ),
            (
                "assistant",
                """
                Loops over `$(ls)` or `$(find …)` split on spaces. Use `find -print0` with a `while read -d ''`
                loop, which is safe for any file name:

                ```bash
                #!/usr/bin/env bash
                set -euo pipefail

                find . -depth -type f -name '* *' -print0 |
                while IFS= read -r -d '' path; do
                  dir=$(dirname "$path")
                  base=$(basename "$path")
                  new=$(printf '%s' "$base" | tr '[:upper:]' '[:lower:]' | tr ' ' '_')
                  if [[ "$base" != "$new" ]]; then
                    mv -n -- "$path" "$dir/$new"
                  fi
                done
                ```

                `-depth` processes the contents of a folder before the folder itself, `mv -n` never overwrites
                an existing file, and `--` protects names starting with a dash. Run it first with `echo mv …`
                instead of `mv` to see what it would do.
                """,
            ),
        ],
    },
    {
        "slug": "cron-rsync-backup",
        "title": "Backup script works by hand but not in cron",
        "when": "2025-07-03 23:05",
        "turns": [
            (
                "user",
                """
                My backup script runs fine when I type ./backup.sh. In crontab (0 2 * * * /home/me/backup.sh)
                nothing happens, no backup, no error. It's rsync to a NAS over ssh.
                """,
            ),
            (
                "assistant",
                """
                Cron runs jobs with a tiny environment: a minimal `PATH` (often just `/usr/bin:/bin`), no
                ssh-agent, no shell profile, and output mailed to nobody. The classic culprits:

                1. **Capture the output** so you can see the error:
                   ```
                   0 2 * * * /home/me/backup.sh >> /home/me/backup.log 2>&1
                   ```
                2. **PATH**: use absolute paths (`/usr/bin/rsync`) or set `PATH=…` at the top of the crontab.
                3. **SSH key**: cron can't use your agent's unlocked key. Create a dedicated key without a
                   passphrase, restrict it on the NAS, and pass it explicitly:
                   ```bash
                   rsync -az --delete -e "ssh -i /home/me/.ssh/backup_ed25519" /home/me/docs/ nas:/backups/docs/
                   ```
                4. **Known hosts**: run the ssh command once by hand so the NAS is in `known_hosts`.
                5. Make sure the script is executable and has a `#!/bin/bash` line.

                After the first run, `backup.log` will tell you which of these it was.
                """,
            ),
        ],
    },
    {
        "slug": "git-undo-rebase",
        "title": "Undo a bad git rebase",
        "when": "2024-09-18 18:02",
        "turns": [
            (
                "user",
                """
                I did an interactive rebase on my feature branch, resolved conflicts badly and now half my
                changes are gone. I already finished the rebase. Is there any way back? Haven't pushed.
                """,
            ),
            (
                "assistant",
                """
                Yes, nothing is lost until git garbage-collects it (weeks). The **reflog** records every place
                your branch pointed to.

                ```bash
                git reflog
                # … find the line just before "rebase (start)", e.g.
                # 3f2a9c1 HEAD@{12}: commit: add export button
                git reset --hard HEAD@{12}
                ```

                Or, right after a rebase, git keeps the old tip in `ORIG_HEAD`:

                ```bash
                git reset --hard ORIG_HEAD
                ```

                Make a safety branch first (`git branch backup-before-fix HEAD@{12}`) so you can compare.
                `--hard` throws away uncommitted changes, so stash them before. Next time, `git rebase
                --abort` in the middle of a messy rebase returns you to where you started.
                """,
            ),
        ],
    },
    # --- C / C++ -------------------------------------------------------------------------------------------------
    {
        "slug": "c-strcpy-segfault",
        "title": "Segfault with strcpy in C",
        "when": "2024-11-05 01:20",
        "model": "gpt-4o",
        "turns": [
            (
                "user",
                """
                Homework in C, reading names from a file. Crashes with segmentation fault (core dumped). Valgrind says:

                ```
                ==4721== Invalid write of size 1
                ==4721==    at 0x483F0BE: strcpy (vg_replace_strmem.c:523)
                ==4721==    by 0x109245: add_student (roster.c:31)
                ==4721==    by 0x1093A2: main (roster.c:58)
                ==4721==  Address 0x4a4b04a is 0 bytes after a block of size 10 alloc'd
                ==4721==    at 0x483B7F3: malloc (vg_replace_malloc.c:309)
                ==4721==    by 0x109221: add_student (roster.c:30)
                ```

                line 30-31: `s->name = malloc(strlen(name)); strcpy(s->name, name);`
                """,
            ),
            (
                "assistant",
                """
                Classic off-by-one: `strlen` doesn't count the terminating `'\\0'`, but `strcpy` writes it. For
                "Alexandria" (10 characters) you allocate 10 bytes and `strcpy` writes 11, so the last byte
                lands just after the block: valgrind's "0 bytes after a block of size 10".

                ```c
                size_t len = strlen(name);
                s->name = malloc(len + 1);
                if (s->name == NULL) {
                    perror("malloc");
                    exit(EXIT_FAILURE);
                }
                memcpy(s->name, name, len + 1);
                ```

                or simply `s->name = strdup(name);` (POSIX, and standard since C23). Also check the line you
                read with `fgets`: it keeps the trailing newline, which you probably want to strip with
                `name[strcspn(name, "\\n")] = '\\0';`. Compile with `-Wall -Wextra -g -fsanitize=address` and
                you'll get this kind of error reported at the exact line.
                """,
            ),
        ],
    },
    {
        "slug": "cpp-erase-in-loop",
        "title": "C++ vector erase inside a loop crashes",
        "when": "2025-02-11 12:12",
        "turns": [
            (
                "user",
                """
                C++17. I loop over a std::vector<Order> and erase the cancelled ones inside the loop. Sometimes
                it skips elements, sometimes it crashes. for (auto it = v.begin(); it != v.end(); ++it) { if
                (it->cancelled) v.erase(it); }
                """,
            ),
            (
                "assistant",
                """
                `erase` invalidates the iterator you pass it (and every iterator after it), so the `++it` that
                follows is undefined behaviour. Two correct ways:

                **Use the iterator `erase` returns:**

                ```cpp
                for (auto it = orders.begin(); it != orders.end(); ) {
                    if (it->cancelled) {
                        it = orders.erase(it);
                    } else {
                        ++it;
                    }
                }
                ```

                **Erase–remove idiom** (better: one pass, no repeated shifting, O(n) instead of O(n²)):

                ```cpp
                #include <algorithm>

                orders.erase(std::remove_if(orders.begin(), orders.end(),
                                            [](const Order& o) { return o.cancelled; }),
                             orders.end());
                ```

                In C++20 it's a one-liner: `std::erase_if(orders, [](const Order& o) { return o.cancelled; });`
                """,
            ),
        ],
    },
    # --- Rust x2 (plus the sample's borrow checker chat) -----------------------------------------------------------
    {
        "slug": "rust-lifetime-str",
        "title": "Returning a &str from a function in Rust",
        "when": "2025-05-02 22:22",
        "model": "o3",
        "turns": [
            (
                "user",
                """
                Why doesn't this compile?

                ```rust
                fn first_word(line: String) -> &str {
                    line.split_whitespace().next().unwrap_or("")
                }
                ```

                ```
                error[E0106]: missing lifetime specifier
                 --> src/main.rs:1:32
                  |
                1 | fn first_word(line: String) -> &str {
                  |                                ^ expected named lifetime parameter
                ```
                """,
            ),
            (
                "assistant",
                """
                The function takes ownership of `line`, so `line` is dropped when the function returns. A `&str`
                pointing into it would dangle, and Rust has no lifetime to give the returned reference.

                Pick one:

                - **Borrow the input** (most common): the result lives as long as the caller's string.

                ```rust
                fn first_word(line: &str) -> &str {
                    line.split_whitespace().next().unwrap_or("")
                }
                ```

                Lifetime elision fills in `fn first_word<'a>(line: &'a str) -> &'a str` for you.

                - **Return an owned `String`** if you really need to take ownership:

                ```rust
                fn first_word(line: String) -> String {
                    line.split_whitespace().next().unwrap_or("").to_string()
                }
                ```

                If you then get "borrowed value does not live long enough" at the call site, it means the
                `String` you borrowed from was a temporary; bind it to a variable first.
                """,
            ),
        ],
    },
    {
        "slug": "rust-tokio-select",
        "title": "tokio select with a shutdown channel",
        "when": "2025-08-19 14:09",
        "turns": [
            (
                "user",
                """
                I have a tokio worker that reads jobs from an mpsc channel forever. How do I stop it cleanly on
                Ctrl+C so it finishes the current job but doesn't take new ones?
                """,
            ),
            (
                "assistant",
                """
                Use `tokio::select!` to wait on either the next job or a shutdown signal, and only check for
                shutdown between jobs:

                ```rust
                use tokio::sync::{mpsc, watch};

                async fn worker(mut jobs: mpsc::Receiver<Job>, mut shutdown: watch::Receiver<bool>) {
                    loop {
                        tokio::select! {
                            biased;
                            _ = shutdown.changed() => break,
                            maybe_job = jobs.recv() => match maybe_job {
                                Some(job) => process(job).await, // runs to completion
                                None => break,                   // all senders dropped
                            },
                        }
                    }
                }

                #[tokio::main]
                async fn main() {
                    let (tx, rx) = mpsc::channel(100);
                    let (stop_tx, stop_rx) = watch::channel(false);
                    let handle = tokio::spawn(worker(rx, stop_rx));
                    tokio::signal::ctrl_c().await.expect("listen for ctrl-c");
                    let _ = stop_tx.send(true);
                    drop(tx);
                    handle.await.unwrap();
                }
                ```

                `biased;` makes select check the branches in order, so shutdown wins when both are ready.
                Because `process(job).await` is inside the branch, not one of the raced futures, a job in
                progress is never cancelled halfway.
                """,
            ),
        ],
    },
    # --- ops ------------------------------------------------------------------------------------------------------
    {
        "slug": "nginx-websocket-502",
        "title": "nginx 502 for websockets",
        "when": "2025-09-10 16:16",
        "turns": [
            (
                "user",
                """
                nginx in front of a Node socket.io app. Normal pages work, the websocket connection fails. nginx
                error log:

                ```
                2025/09/10 14:02:11 [error] 3121#3121: *884 upstream prematurely closed connection while reading response header from upstream, client: 203.0.113.7, server: chat.example.com, request: "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1", upstream: "http://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket", host: "chat.example.com"
                ```

                Browser shows 502 Bad Gateway for that request.
                """,
            ),
            (
                "assistant",
                """
                The websocket handshake is an HTTP/1.1 request with `Upgrade: websocket`. By default nginx
                talks HTTP/1.0 to the upstream and drops the `Upgrade` and `Connection` hop-by-hop headers, so
                the Node server never sees an upgrade request and closes the connection.

                ```nginx
                map $http_upgrade $connection_upgrade {
                    default upgrade;
                    ''      close;
                }

                server {
                    server_name chat.example.com;

                    location /socket.io/ {
                        proxy_pass http://127.0.0.1:3000;
                        proxy_http_version 1.1;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_set_header Host $host;
                        proxy_read_timeout 3600s;
                    }
                }
                ```

                `proxy_read_timeout` keeps idle sockets from being cut after the default 60 s. If you run
                several Node processes, socket.io also needs sticky sessions (`ip_hash` in the upstream
                block).
                """,
            ),
        ],
    },
    {
        "slug": "excel-xlookup",
        "title": "VLOOKUP returns #N/A",
        "when": "2024-06-19 10:10",
        "turns": [
            (
                "user",
                """
                Excel. I have product codes in sheet A and a price list in sheet B. =VLOOKUP(A2,Prices!A:B,2,0)
                gives #N/A for most rows even though I can see the code in the price list.
                """,
            ),
            (
                "assistant",
                """
                When the value is visibly there but the lookup says #N/A, it's almost always a type or
                whitespace mismatch:

                - **Numbers stored as text** on one side (a green triangle in the corner of the cell). Convert
                  with Data → Text to Columns → Finish, or wrap: `VLOOKUP(TEXT(A2,"0"), …)` / `VALUE(A2)`.
                - **Trailing spaces** from an export: `=VLOOKUP(TRIM(A2), …)`, or clean the price list with
                  `TRIM` once.
                - Non-breaking spaces from web data: `SUBSTITUTE(A2, CHAR(160), "")`.

                If you have Microsoft 365, XLOOKUP is simpler and doesn't break when columns move:

                ```
                =XLOOKUP(TRIM(A2), Prices!A:A, Prices!B:B, "not found")
                ```

                The fourth argument replaces #N/A with a message of your choice.
                """,
            ),
        ],
    },
    # --- hidden: code interpreter -------------------------------------------------------------------------------------
    {
        "slug": "invoice-pdf-tables",
        "title": "Pull line items out of invoices",
        "when": "2025-04-22 11:34",
        "turns": [
            (
                "user",
                """
                I uploaded three supplier invoices as PDFs. Can you pull out the line items (description,
                quantity, unit price) into one spreadsheet?
                """,
            ),
            (
                "python",
                """
                import fitz  # PyMuPDF
                import re
                import pandas as pd

                rows = []
                for path in ["/mnt/data/inv_0412.pdf", "/mnt/data/inv_0419.pdf", "/mnt/data/inv_0426.pdf"]:
                    doc = fitz.open(path)
                    for page in doc:
                        for x0, y0, x1, y1, block, *_ in page.get_text("blocks"):
                            m = re.match(r"(.+?)\\s+(\\d+)\\s+([\\d.,]+)\\s+([\\d.,]+)$", block.strip())
                            if m:
                                rows.append({"invoice": path.rsplit("/", 1)[-1], "description": m[1],
                                             "qty": int(m[2]), "unit_price": float(m[3].replace(",", ""))})
                items = pd.DataFrame(rows)
                items.to_excel("/mnt/data/line_items.xlsx", index=False)
                items.groupby("invoice").size()
                """,
                """
                invoice
                inv_0412.pdf    14
                inv_0419.pdf     9
                inv_0426.pdf    11
                dtype: int64
                """,
            ),
            (
                "assistant",
                """
                Done: I found 34 line items across the three invoices (14, 9 and 11) and put them in one sheet
                with the invoice name, description, quantity and unit price.

                [Download line_items.xlsx](sandbox:/mnt/data/line_items.xlsx)

                Two lines on the 19 April invoice had the quantity and price on separate lines, so I may have
                missed a freight charge there; worth a glance.
                """,
            ),
            ("user", "great, can you add a total column and sort by total?"),
            (
                "python",
                """
                items["total"] = (items["qty"] * items["unit_price"]).round(2)
                items = items.sort_values("total", ascending=False)
                items.to_excel("/mnt/data/line_items.xlsx", index=False)
                items.head(3)
                """,
                """
                         invoice         description  qty  unit_price    total
                5   inv_0412.pdf   Pallet wrap 500mm   40       18.75   750.00
                21  inv_0426.pdf  Corrugated boxes L  300        1.95   585.00
                12  inv_0419.pdf         Label rolls   24       12.40   297.60
                """,
            ),
            (
                "assistant",
                """
                Added a total column (quantity × unit price) and sorted from the largest line down. The biggest
                items are pallet wrap (750.00), large boxes (585.00) and label rolls (297.60).

                [Download the updated line_items.xlsx](sandbox:/mnt/data/line_items.xlsx)
                """,
            ),
        ],
    },
    {
        "slug": "sales-csv-analysis",
        "title": "Sales data analysis",
        "when": "2025-06-17 15:21",
        "turns": [
            ("user", "Here's our shop's sales export for last year (csv). Which weeks and hours are busiest?"),
            (
                "python",
                """
                import pandas as pd
                import seaborn as sns
                import matplotlib.pyplot as plt

                sales = pd.read_csv("/mnt/data/sales_2024.csv", parse_dates=["timestamp"])
                weekly = sales.set_index("timestamp").resample("W-MON")["amount"].sum()
                sales["weekday"] = sales["timestamp"].dt.day_name()
                sales["hour"] = sales["timestamp"].dt.hour
                grid = sales.pivot_table(index="weekday", columns="hour", values="amount", aggfunc="sum")
                sns.heatmap(grid, cmap="rocket_r")
                plt.title("Revenue by weekday and hour")
                plt.savefig("/mnt/data/busy_hours.png", dpi=150, bbox_inches="tight")
                weekly.nlargest(3)
                """,
                """
                timestamp
                2024-12-23    18412.50
                2024-12-16    16980.00
                2024-11-25    15233.75
                Name: amount, dtype: float64
                """,
            ),
            (
                "assistant",
                """
                The three busiest weeks were the two before Christmas (about 18.4k and 17.0k) and the week of
                Black Friday (15.2k). Across the year, Saturdays between 11:00 and 14:00 bring in the most
                revenue, followed by Friday late afternoons; Monday and Tuesday mornings are the quietest.

                Here's the chart of revenue by day and hour:

                ![busy hours](sandbox:/mnt/data/busy_hours.png)

                If you're planning staff, one extra person on Saturday midday and Friday from 16:00 would cover
                most of the peak.
                """,
            ),
        ],
    },
    {
        "slug": "photo-resize-exif",
        "title": "Resize photos for the website",
        "when": "2024-08-08 13:03",
        "turns": [
            (
                "user",
                """
                I uploaded a zip of 40 product photos from my phone. Can you make them 1200 px wide, keep them
                the right way up, and give them back as a zip?
                """,
            ),
            (
                "python",
                """
                import zipfile, io, pathlib
                from PIL import Image, ImageOps

                out_dir = pathlib.Path("/mnt/data/web")
                out_dir.mkdir(exist_ok=True)
                with zipfile.ZipFile("/mnt/data/products.zip") as zf:
                    for name in zf.namelist():
                        if not name.lower().endswith((".jpg", ".jpeg", ".png")):
                            continue
                        img = ImageOps.exif_transpose(Image.open(io.BytesIO(zf.read(name))))
                        img.thumbnail((1200, 10_000), Image.LANCZOS)
                        img.convert("RGB").save(out_dir / (pathlib.Path(name).stem + ".jpg"), quality=82,
                                                optimize=True, progressive=True)
                with zipfile.ZipFile("/mnt/data/products_web.zip", "w") as zf:
                    for p in sorted(out_dir.glob("*.jpg")):
                        zf.write(p, p.name)
                len(list(out_dir.glob("*.jpg")))
                """,
                "40",
            ),
            (
                "assistant",
                """
                All 40 photos are resized to 1200 pixels wide, rotated the way your phone meant them to be
                (phones often store the rotation separately, which is why some looked sideways), and saved as
                compressed JPEGs, about 150–250 KB each.

                [Download products_web.zip](sandbox:/mnt/data/products_web.zip)
                """,
            ),
        ],
    },
    {
        "slug": "mortgage-amortization",
        "title": "Mortgage payment and overpaying",
        "when": "2025-02-02 19:45",
        "turns": [
            (
                "user",
                """
                Mortgage of 280,000 over 25 years at 4.1 % fixed. What's the monthly payment, and how much
                interest would I save paying 200 extra every month?
                """,
            ),
            (
                "python",
                """
                import numpy_financial as npf
                import numpy as np

                principal, years, rate = 280_000, 25, 0.041 / 12
                payment = -npf.pmt(rate, years * 12, principal)
                months_extra = npf.nper(rate, -(payment + 200), principal)
                interest_base = payment * years * 12 - principal
                interest_extra = (payment + 200) * months_extra - principal
                round(payment, 2), round(float(months_extra) / 12, 1), round(interest_base - float(interest_extra))
                """,
                "(1492.43, 20.7, 38115)",
            ),
            (
                "assistant",
                """
                - **Monthly payment:** about **1,492.43** for 25 years.
                - **With 200 extra per month** (1,692.43 in total) you'd be mortgage-free after roughly
                  **20 years and 8 months**, more than four years early.
                - **Interest saved:** about **38,100** over the life of the loan.

                Check that your lender allows overpayments without a fee; many fixed-rate deals allow 10 % of
                the balance per year, and 200 a month is well within that.
                """,
            ),
        ],
    },
    # --- hidden: canvas ---------------------------------------------------------------------------------------------
    {
        "slug": "deposit-letter-canvas",
        "title": "Letter to landlord about deposit",
        "when": "2025-08-28 18:11",
        "turns": [
            (
                "user",
                """
                I moved out 5 weeks ago and my landlord still hasn't returned my deposit, and now says she'll
                deduct money for cleaning. The place was spotless, I have photos. Can you write a firm but
                polite letter?
                """,
            ),
            (
                "canvas",
                "deposit_return_letter",
                "document",
                """
                Dear Ms. Okonkwo,

                I am writing regarding the security deposit of $1,850 for 14 Larch Street, Apartment 3B, which
                I vacated on 23 July 2025 after returning all keys.

                More than 30 days have passed since the end of the tenancy. On 20 August you informed me that
                you intend to deduct $240 for carpet cleaning. I do not agree with this deduction: the carpets
                were professionally cleaned on 21 July (receipt attached), and the dated photographs taken at
                move-out show the apartment in the same condition as at move-in, apart from normal wear and
                tear.

                I therefore ask that you return the full deposit of $1,850 within 14 days of this letter, by
                bank transfer to the account you have on file. If I do not receive it by then, I will file a
                claim with the small claims court and ask for the statutory penalty for late return.

                I would prefer to resolve this amicably and look forward to your reply.

                Yours sincerely,
                Jordan Reyes
                """,
            ),
            (
                "assistant",
                """
                I've drafted the letter in the canvas. It states the facts with dates, disputes the deduction
                with your evidence, sets a clear deadline and says what you'll do if it passes, without any
                angry language. Fill in anything I guessed wrong, and send it in a way you can prove
                (recorded post or email with the photos attached).
                """,
            ),
            ("user", "Looks good. Should I mention the photos are timestamped?"),
            (
                "assistant",
                """
                Yes, that strengthens it. Add "(timestamped, attached)" after "dated photographs", and keep
                the originals with their metadata in case you need them in court.
                """,
            ),
        ],
    },
    {
        "slug": "pomodoro-canvas",
        "title": "Simple focus timer app",
        "when": "2025-09-03 20:27",
        "turns": [
            (
                "user",
                """
                Can you make me a tiny desktop focus timer in Python? 25 minutes work, 5 minutes break, a big
                countdown, start/pause button. Nothing fancy, no installs.
                """,
            ),
            (
                "canvas",
                "focus_timer",
                "code/python",
                """
                import tkinter as tk

                WORK, BREAK = 25 * 60, 5 * 60


                class PomodoroApp:
                    def __init__(self, root: tk.Tk) -> None:
                        self.root = root
                        self.remaining = WORK
                        self.on_break = False
                        self.running = False
                        self.label = tk.Label(root, font=("Helvetica", 64), text=self.fmt())
                        self.label.pack(padx=40, pady=20)
                        self.button = tk.Button(root, text="Start", width=12, command=self.toggle)
                        self.button.pack(pady=(0, 20))

                    def fmt(self) -> str:
                        return f"{self.remaining // 60:02d}:{self.remaining % 60:02d}"

                    def toggle(self) -> None:
                        self.running = not self.running
                        self.button.config(text="Pause" if self.running else "Start")
                        if self.running:
                            self.tick()

                    def tick(self) -> None:
                        if not self.running:
                            return
                        if self.remaining == 0:
                            self.on_break = not self.on_break
                            self.remaining = BREAK if self.on_break else WORK
                            self.root.bell()
                        else:
                            self.remaining -= 1
                        self.label.config(text=self.fmt(), fg="green" if self.on_break else "black")
                        self.root.after(1000, self.tick)


                if __name__ == "__main__":
                    root = tk.Tk()
                    root.title("Focus")
                    PomodoroApp(root)
                    root.mainloop()
                """,
            ),
            (
                "assistant",
                """
                Here it is in the canvas: a single file that only uses the standard library, so it runs with
                any Python 3 install. Save it as `timer.py` and run `python timer.py`. The countdown turns
                green during breaks and the window beeps when a phase ends. Want a sound file or a counter of
                completed sessions next?
                """,
            ),
        ],
    },
    {
        "slug": "short-story-canvas",
        "title": "Short story for a writing contest",
        "when": "2024-11-17 22:58",
        "turns": [
            (
                "user",
                """
                I'm entering a flash fiction contest, max 400 words, theme "the last light". Can you draft
                something I can then rework in my own voice?
                """,
            ),
            (
                "canvas",
                "the_last_light",
                "document",
                """
                The Last Light

                For forty-one years Ezra Pell climbed the hundred and twelve steps of the Gull Point lighthouse
                at dusk. The automation crew came on a Tuesday in October, three young engineers with a van full
                of grey boxes, and by Thursday the lamp no longer needed him.

                On his final night the fog rolled in thick as wool. Ezra climbed anyway. He wound the old clock
                mechanism that no longer turned anything, polished the brass he would not see again, and sat
                by the glass with a thermos of tea gone cold.

                At midnight the new system flickered and died: a fuse, they would say later. Out in the fog a
                trawler's horn sounded, lost and low. Ezra's hands remembered before he did. He lit the
                paraffin burner, the one the engineers had laughed at, and turned the lens by hand, a slow
                sweep, again and again, until his shoulders burned.

                The trawler found the channel. In the morning the crew sent a crate of herring and a note with
                one word underlined: thank you.

                The engineers fixed the fuse. Ezra handed back his keys. But every foggy night afterwards,
                the people of Gull Point swore the beam turned just a little slower, the way it used to.
                """,
            ),
            (
                "assistant",
                """
                I've put a first draft in the canvas, about 240 words, so you have room to add your own detail.
                The idea: an old keeper on his last night before automation, and a small moment where the old
                way still matters. To make it yours, change the setting to somewhere you know, and give the
                keeper one habit that's oddly specific.
                """,
            ),
        ],
    },
    # --- hidden: browsing ---------------------------------------------------------------------------------------------
    {
        "slug": "laptop-wait-or-buy",
        "title": "Buy a laptop now or wait?",
        "when": "2025-01-31 12:40",
        "turns": [
            (
                "user",
                """
                I'm about to buy the MacBook Air that's on sale for students. Is a new model coming soon? I
                don't want to buy something that's replaced in two weeks.
                """,
            ),
            ("search", ["M4 MacBook Air release date rumor", "MacBook Air M3 student discount price"]),
            (
                "assistant",
                """
                Reports from reliable outlets point to a refresh of the Air in the first quarter, possibly
                within weeks, with a faster chip and the same design. Prices of the current model usually drop
                once the new one is out, and the student offer tends to apply to the new model too.

                My advice: unless you need it right now, wait a few weeks. If you must buy today, the current
                model is still excellent for studying; just make sure to get at least 16 GB of memory.
                """,
            ),
        ],
    },
    {
        "slug": "backyard-bird",
        "title": "What bird is this?",
        "when": "2023-04-09 08:15",
        "model": "gpt-4",
        "turns": [
            (
                "user",
                """
                There's a bird at my feeder in Ohio with a bright red cap down the back of its head, a pale
                belly and a black and white striped back. It hops up the tree trunk. What is it?
                """,
            ),
            ("browser", "Melanerpes carolinus range Ohio identification"),
            (
                "assistant",
                """
                That's almost certainly a **red-bellied woodpecker**. Despite the name, the red you notice is
                on the head: a red cap from the bill down the nape in males, only on the nape in females. The
                reddish tinge on the belly is faint and hard to see. The barred "zebra" back and climbing up
                trunks fit perfectly, and they are common at feeders across Ohio all year.

                The red-headed woodpecker, which people often confuse it with, has an entirely red head and a
                solid black back with big white wing patches.
                """,
            ),
        ],
    },
    {
        "slug": "car-seat-recall",
        "title": "Is my car seat recalled?",
        "when": "2025-07-11 21:44",
        "turns": [
            (
                "user",
                """
                Someone in a parents group said there was a recall on convertible car seats. Ours is a Graco
                from 2022. How do I check if ours is affected?
                """,
            ),
            ("search", ["NHTSA car seat recall Graco 4Ever DLX 2022", "Graco recall lookup model number"]),
            (
                "assistant",
                """
                The quickest way is the official recall lookup: find the sticker on the side or bottom of the
                seat with the **model number and date of manufacture**, then enter them on the government's
                vehicle safety recall site or the manufacturer's own recall page.

                For your model I didn't find an active recall for seats made in 2022, but recalls can be
                limited to a range of manufacture dates, so checking the sticker is the only sure way. While
                you're at it, register the seat with the manufacturer (there's usually a card in the box or a
                form online) so you get notified directly if anything changes.
                """,
            ),
        ],
    },
]
