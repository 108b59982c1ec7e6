"""What customers bring to the demo's calls: per interaction type, the cases their opening lines
and the agent's answers are written around (qa_app.domain.demo.calls fills them in)."""

from __future__ import annotations

# Each interaction type has two cases, one per opening line; the seeded stream picks one, so
# keep exactly two per type (a third would change every draw after it, and so the whole demo).
# Every field is written to be dropped into the agent and customer lines below and still read
# as plain English: ``situation``, ``impact`` and ``feeling`` are clauses ("you've ..."),
# ``topic`` and ``want`` noun phrases, ``fix`` and ``option_b`` verb phrases after "I'll"/"I can",
# ``done`` a full clause in the agent's voice ("I've ..."), ``confirm`` how the customer hears.
CASES: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "escalation": (
        {
            "opening": "This is the third time I've contacted you about my broken router. Nobody "
            "ever calls me back and I'm honestly fed up.",
            "id_noun": "ticket number",
            "detail": "The last ticket number was {ref}, and the router light is still blinking "
            "red.",
            "dismiss": "Our records show the line is working fine, so the problem is probably on "
            "your side.",
            "situation": "you've been in touch three times about your router and nobody has "
            "called you back",
            "ack": "I'm really sorry. You've been in touch three times, nobody has called you "
            "back, and all this time you've been trying to work from home without internet.",
            "feel": "I can completely see why you're fed up.",
            "topic": "your router",
            "repeat": "My internet still doesn't work, and nobody ever calls me back.",
            "want": "someone to fix the connection properly this time",
            "priority": "you can get back to working from home",
            "fix": "book a senior technician visit",
            "option_b": "send you a mobile hotspot today so you're online tonight",
            "done": "I've booked a senior technician for tomorrow between 8 and 12, and I'll "
            "follow the visit up myself",
            "confirm": "you'll get an email confirming the visit within the hour",
            "not_happen": "nobody has arrived by 12",
            "feeling": "it's been frustrating having to chase us again and again",
            "impact": "you've been trying to work from home without internet",
            "personal": "I hope you're back online and working normally by tomorrow afternoon.",
        },
        {
            "opening": "I want to speak to someone who can actually fix this. I've been promised a "
            "technician twice and nobody came.",
            "id_noun": "ticket number",
            "detail": "The ticket number is {ref}. They were supposed to come on Monday and again "
            "on Wednesday.",
            "dismiss": "Technicians sometimes can't get access, so they may well have come.",
            "situation": "you've been promised a technician twice and nobody turned up",
            "ack": "I'm really sorry. You've been promised a technician twice, nobody turned up, "
            "and you took time off work both times for nothing.",
            "feel": "I'd be angry too.",
            "topic": "the technician visit",
            "repeat": "Nobody turned up, twice, and I still don't have a working connection.",
            "want": "a visit that actually happens",
            "priority": "you don't lose another day waiting in",
            "fix": "book a senior technician for a confirmed time slot",
            "option_b": "send you a mobile hotspot today so you're online while you wait",
            "done": "I've booked a senior technician for tomorrow between 8 and 12 and marked the "
            "job as a priority, so it can't be moved",
            "confirm": "you'll get an email with the technician's name this evening",
            "not_happen": "nobody has arrived by 12",
            "feeling": "it's been infuriating to keep being let down",
            "impact": "you've already taken two days off work for this",
            "personal": "I hope tomorrow's visit finally puts this behind you.",
        },
    ),
    "delayed_shipment": (
        {
            "opening": "My order {ref} was supposed to arrive last Friday and the tracking hasn't "
            "moved in five days.",
            "id_noun": "order number",
            "detail": "It's {ref}, and the tracking still says 'label created'.",
            "dismiss": "Couriers are often a few days late, and that's not something we control.",
            "situation": "your order is five days late and the tracking hasn't moved",
            "ack": "I'm really sorry. Your order is five days late, the tracking hasn't moved, "
            "and you've been left with no idea when it will turn up.",
            "feel": "That's really frustrating.",
            "topic": "your order",
            "repeat": "My order is five days late and the tracking hasn't moved at all.",
            "want": "a straight answer about where it is",
            "priority": "you finally know when it will arrive",
            "fix": "reship the order by express courier",
            "option_b": "refund the order in full and keep tracing the first parcel",
            "done": "I've reshipped the order by express courier, and it will be with you by "
            "Thursday",
            "confirm": "you'll get an email with the new tracking number within the hour",
            "not_happen": "it hasn't arrived by Thursday",
            "feeling": "it's been frustrating watching the tracking sit still for days",
            "impact": "you had no idea when it would turn up",
            "personal": "I hope it's with you well before the weekend.",
        },
        {
            "opening": "Where is my parcel? It was a birthday present and the party is on "
            "Saturday.",
            "id_noun": "order number",
            "detail": "The order number is {ref}. The tracking hasn't changed since last week.",
            "dismiss": "Parcels do get delayed at this time of year; it's out of our hands.",
            "situation": "your parcel is late and the tracking hasn't changed since last week",
            "ack": "I'm really sorry. Your parcel is late, the tracking hasn't changed since last "
            "week, and it's a birthday present you need before Saturday's party.",
            "feel": "I can imagine how worrying that is.",
            "topic": "your parcel",
            "repeat": "It's a birthday present, and it has to arrive before Saturday.",
            "want": "the parcel found or replaced",
            "priority": "it arrives before Saturday's party",
            "fix": "send a replacement by express courier",
            "option_b": "refund you today so you can buy the present locally",
            "done": "I've sent a replacement by express courier, and it's guaranteed to arrive by "
            "Thursday",
            "confirm": "you'll get an email with the new tracking link within the hour",
            "not_happen": "it hasn't arrived by Thursday",
            "feeling": "it's been worrying not knowing where the parcel is",
            "impact": "it's a present for Saturday's party",
            "personal": "I hope it's a lovely party.",
        },
    ),
    "billing_correction": (
        {
            "opening": "I've been charged twice this month, {amount} each time, and I didn't "
            "authorise the second one.",
            "id_noun": "invoice number",
            "detail": "The invoice number is {ref}. Both charges are on my bank statement.",
            "dismiss": "Our system shows both payments as valid, so I don't think that's right.",
            "situation": "you've been charged {amount} twice this month",
            "ack": "I'm really sorry. You've been charged {amount} twice, and that money left "
            "your account just before your rent was due.",
            "feel": "I can see why you're worried.",
            "topic": "the charge on your account",
            "repeat": "I was charged twice, and I want the second payment back.",
            "want": "the second payment refunded",
            "priority": "the money is back in your account as soon as possible",
            "fix": "reverse the duplicate charge of {amount}",
            "option_b": "credit {amount} to your account today instead",
            "done": "I've reversed the duplicate charge of {amount}, and the money will be back "
            "in your account within 3 to 5 working days",
            "confirm": "you'll get an email confirming the refund today",
            "not_happen": "the money isn't back within five working days",
            "feeling": "it was stressful to see that money go out twice",
            "impact": "it went out just before your rent was due",
            "personal": "I hope that takes some of the pressure off this month.",
        },
        {
            "opening": "My bill is {amount} higher than usual and nobody told me about a price "
            "change.",
            "id_noun": "invoice number",
            "detail": "The invoice number is {ref}.",
            "dismiss": "Prices went up for everyone, and it was on our website.",
            "situation": "your bill has gone up by {amount} without any warning",
            "ack": "I'm really sorry. Your bill went up by {amount} without any warning, and "
            "you've had to find that money at no notice.",
            "feel": "I'd be annoyed too.",
            "topic": "your bill",
            "repeat": "My bill went up by {amount} and nobody warned me.",
            "want": "the {amount} back and a proper explanation",
            "priority": "you're not caught out like this again",
            "fix": "refund this month's increase of {amount}",
            "option_b": "move you to a plan that costs less than your old one",
            "done": "I've refunded this month's increase of {amount}, and it will be back in your "
            "account within 3 to 5 working days",
            "confirm": "you'll get an email today confirming the refund and explaining the new "
            "price",
            "not_happen": "the refund hasn't arrived within five working days",
            "feeling": "it was annoying to be caught out by a price rise nobody told you about",
            "impact": "you had to find that money at no notice",
            "personal": "I hope next month's bill holds no more surprises.",
        },
    ),
    "policy_exception": (
        {
            "opening": "I know the return window closed two days ago, but I was in hospital. "
            "Surely you can make an exception?",
            "id_noun": "order number",
            "detail": "The order number is {ref}. The item stopped working this week.",
            "dismiss": "The return window is 30 days, and it's the same for everyone.",
            "situation": "you missed the return window by two days because you were in hospital",
            "ack": "I'm really sorry. You missed the return window by just two days because you "
            "were in hospital, and it feels like you're being penalised for something you "
            "couldn't control.",
            "feel": "I can see why that feels unfair.",
            "topic": "a return",
            "repeat": "I was in hospital, which is why the return is late.",
            "want": "the return accepted even though the window has closed",
            "priority": "you're not penalised for being in hospital",
            "fix": "ask my team lead for an exception so the return is accepted",
            "option_b": "repair the item under warranty at no cost",
            "done": "I've asked my team lead for an exception, and you'll have a decision by the "
            "end of the day tomorrow",
            "confirm": "you'll get an email with the decision either way",
            "not_happen": "you haven't heard from us by the end of tomorrow",
            "feeling": "this has felt really unfair",
            "impact": "you were in hospital when the window closed",
            "personal": "I hope you're recovering well.",
        },
        {
            "opening": "Your policy says no refunds after 30 days, but the item broke on day 32. "
            "That's not fair.",
            "id_noun": "order number",
            "detail": "The order number is {ref}. It stopped working two days after the window "
            "closed.",
            "dismiss": "The policy is 30 days, so I'm afraid that's that.",
            "situation": "the item broke on day 32, just after the 30-day refund window closed",
            "ack": "I'm really sorry. The item broke just two days after the refund window "
            "closed, and it feels like you've lost out on a technicality.",
            "feel": "I'd feel the same way.",
            "topic": "a refund",
            "repeat": "It broke two days after the window closed. That's hardly my fault.",
            "want": "a refund anyway",
            "priority": "you're treated fairly, not turned down on a technicality",
            "fix": "ask my team lead for an exception so we can refund you",
            "option_b": "repair the item under warranty at no cost",
            "done": "I've asked my team lead for an exception, and you'll have a decision by the "
            "end of the day tomorrow",
            "confirm": "you'll get an email with the decision either way",
            "not_happen": "you haven't heard from us by the end of tomorrow",
            "feeling": "being turned down on a technicality has been frustrating",
            "impact": "it broke only two days after the window closed",
            "personal": "I hope we can put this right for you tomorrow.",
        },
    ),
    "quick_win": (
        {
            "opening": "Hi, I just need to update the email address on my account.",
            "id_noun": "account number",
            "detail": "The account number is {ref}.",
            "dismiss": "You could have done that yourself online, you know.",
            "situation": "the email address on your account is out of date",
            "ack": "Of course. You'd like the email address on your account changed, and you "
            "want it done quickly, without any fuss.",
            "feel": "Let's get that sorted.",
            "topic": "your email address",
            "repeat": "I just need the email address on my account changed.",
            "want": "it changed to your new one",
            "priority": "it's done quickly, without any fuss",
            "fix": "update the email address on your account",
            "option_b": "send you a link so you can change it yourself",
            "done": "I've updated the email address on your account just now",
            "confirm": "you'll get a confirmation email at the new address in a few minutes",
            "not_happen": "that email hasn't arrived within the hour",
            "feeling": "account admin can be a chore",
            "impact": "you've got better things to do with your day",
            "personal": "Your new address is all set.",
        },
        {
            "opening": "Can you tell me when my next payment is due?",
            "id_noun": "account number",
            "detail": "The account number is {ref}.",
            "dismiss": "That's all in the app, you know.",
            "situation": "you're not sure when your next payment is due",
            "ack": "Of course. You want to know when the next payment goes out, so you can make "
            "sure the money's there.",
            "feel": "That's easy to check.",
            "topic": "your payment",
            "repeat": "I just want to know the date of my next payment.",
            "want": "the exact date and amount",
            "priority": "you can plan your budget around it",
            "fix": "check your payment date and email it to you",
            "option_b": "set up a reminder text a few days before each payment",
            "done": "I've checked your account: your next payment of {amount} goes out on the "
            "1st of next month",
            "confirm": "you'll get an email with your full payment schedule in a few minutes",
            "not_happen": "that email hasn't arrived within the hour",
            "feeling": "it's a pain to have to chase this kind of thing",
            "impact": "you're trying to plan your budget",
            "personal": "I hope that makes planning this month a bit easier.",
        },
    ),
}
