/**
 * Writes `examples/transcripts.jsonl`: sample call transcripts for the laptop pipeline, one JSON
 * object per line with the source table's columns. Deterministic: the same seed gives the same file.
 *
 *   node bin/run-ts.js examples/make-transcripts.ts [--out FILE] [--count N] [--seed N] [--plain] [--words N]
 *
 * The calls are assembled from hand-written dialogue fragments of four kinds (support, billing,
 * sales, complaints), a few seconds to half an hour long. The default file also holds the cases a
 * pipeline must survive: empty transcripts, transcripts over the default character limits,
 * calls in other languages, and ids that appear twice (once identical, once with changed text).
 * `--plain` leaves those out (for benchmarks of any size).
 */
import { createWriteStream } from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from '../runtime/core/random';

/** A row of the source table, as `tapctl local run --transcripts` reads it. */
export interface TranscriptRow {
  transcript_id: string;
  transcript: string | null;
  call_started_at: string;
  duration_seconds: number;
  channel: string;
  language: string;
  agent_id: string;
  customer_id: string;
}

/** The generator's random numbers: the same seed gives the same transcripts. */
export const rng = seededRandom;

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const between = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

const AGENTS = ['Maria', 'Tom', 'Priya', 'James', 'Aisha', 'Daniel', 'Sofia', 'Kenji', 'Laura', 'Owen', 'Fatima', 'Lucas'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October'];

interface Company {
  readonly name: string;
  readonly product: string;
  readonly plans: readonly string[];
}

const COMPANIES: readonly Company[] = [
  { name: 'Brightwave Mobile', product: 'phone', plans: ['Basic 5GB', 'Unlimited Plus', 'Family Share'] },
  { name: 'Cedar Home Energy', product: 'energy', plans: ['Fixed Saver', 'Green Variable', 'Night Tariff'] },
  { name: 'Harbor Broadband', product: 'internet', plans: ['Fibre 100', 'Fibre 500', 'Gigabit Home'] },
  { name: 'Lumen Bank', product: 'card', plans: ['Everyday Account', 'Premier Account', 'Student Account'] },
  { name: 'Parcel and Pine', product: 'order', plans: ['Standard Delivery', 'Next Day', 'Pine Plus membership'] },
];

/** What varies inside one call, drawn once per call. */
interface Facts {
  readonly agent: string;
  readonly company: Company;
  readonly amount: string;
  readonly amount2: string;
  readonly month: string;
  readonly day: number;
  readonly plan: string;
  readonly plan2: string;
  readonly ref: string;
  readonly days: number;
}

type Kind = 'support' | 'billing' | 'sales' | 'complaint';
type Outcome = 'resolved' | 'follow_up' | 'escalated' | 'unresolved';

/** A line of dialogue: who speaks, what, with `{placeholders}` for the facts. */
type Line = readonly ['A' | 'C', string];

interface Scenario {
  readonly kind: Kind;
  /** Only for these products, or any. */
  readonly products?: readonly string[];
  readonly opening: readonly Line[][];
  /** Exchanges repeated (with variation) to make a call as long as it should be. */
  readonly middle: readonly Line[][];
  readonly endings: Readonly<Partial<Record<Outcome, readonly Line[][]>>>;
}

const GREETINGS: readonly Line[][] = [
  [['A', 'Thank you for calling {company}, this is {agent}. How can I help you today?']],
  [['A', 'Good morning, {company} customer service, you are speaking with {agent}.']],
  [['A', 'Hello, you have reached {company}. My name is {agent}, how may I help?']],
  [['A', "Hi there, thanks for holding. It's {agent} at {company}. What can I do for you?"]],
];

const VERIFY: readonly Line[][] = [
  [
    ['A', 'Before we start, can I take your full name and the postcode on the account?'],
    ['C', 'Sure, it is Alex Morgan, and the postcode is {ref}.'],
    ['A', 'Thank you, Alex, that matches what I have here.'],
  ],
  [
    ['A', 'Could you confirm the email address on your account for security?'],
    ['C', 'Yes, it is alex dot morgan at example dot com.'],
    ['A', 'Perfect, thank you. I have your account open now.'],
  ],
  [
    ['A', 'Can I have your account number, please?'],
    ['C', 'Let me find it. It is {ref}, I think.'],
    ['A', 'Got it, and can you confirm your date of birth?'],
    ['C', 'The fourth of {month}, nineteen eighty-six.'],
    ['A', 'Thanks, you are verified.'],
  ],
];

const HOLDS: readonly Line[][] = [
  [
    ['A', 'Would you mind if I put you on a short hold while I look into this?'],
    ['C', 'No problem, go ahead.'],
    ['A', 'Thank you for holding, I appreciate your patience.'],
  ],
  [
    ['A', 'Bear with me one moment, the system is a little slow today.'],
    ['C', 'That is fine.'],
  ],
];

const CLOSINGS: readonly Line[][] = [
  [
    ['A', 'Is there anything else I can help you with today?'],
    ['C', 'No, that is everything.'],
    ['A', 'Thank you for calling {company}, have a good day.'],
  ],
  [
    ['A', 'Anything else before I let you go?'],
    ['C', 'No, thanks. Bye.'],
    ['A', 'Take care, goodbye.'],
  ],
  [['A', 'Thanks for your time today. Goodbye.']],
];

/** Exchanges that fit any call, used once each to make long calls longer without repeating. */
const GENERIC: readonly Line[][] = [
  [
    ['A', 'While I have you, can I check that your mobile number is still the one ending in four two?'],
    ['C', 'Yes, that is still right.'],
  ],
  [
    ['A', 'I am just adding a note to your account so the next person can see what we discussed.'],
    ['C', 'Good, because I had to explain everything again last time.'],
  ],
  [
    ['C', 'Sorry, my dog is barking, give me a second.'],
    ['A', 'No problem at all, take your time.'],
    ['C', 'Okay, I am back.'],
  ],
  [
    ['A', 'Can you still hear me? The line went quiet for a moment.'],
    ['C', 'Yes, I can hear you now.'],
  ],
  [
    ['C', 'Can you spell that reference for me?'],
    ['A', 'Of course. It is {ref}.'],
    ['C', 'Thanks, I have written it down.'],
  ],
  [
    ['A', 'Do you still want paper statements, or shall I switch you to email?'],
    ['C', 'Email is fine, I never read the paper ones anyway.'],
    ['A', 'Done, that is switched.'],
  ],
  [
    ['C', 'How long have I been a customer, out of interest?'],
    ['A', 'Since {month} twenty seventeen, so a good while.'],
  ],
  [
    ['A', 'I see you also have the {plan} plan with us. Is that still working well for you?'],
    ['C', 'Yes, no complaints there.'],
  ],
  [
    ['C', 'Is there a way to do this online next time?'],
    ['A', 'Yes, in the app under account, then help. It is usually quicker than calling.'],
    ['C', 'I will try that next time.'],
  ],
  [
    ['A', 'Let me repeat that back to make sure I have it right.'],
    ['A', 'You noticed the problem on {month} {day} and you have not changed anything since.'],
    ['C', 'That is correct.'],
  ],
  [
    ['C', 'I was on hold for twenty minutes before you answered.'],
    ['A', 'I am sorry about the wait, we are very busy this week.'],
  ],
  [
    ['A', 'The system is asking me to confirm your address. Is it still fourteen Elm Road?'],
    ['C', 'No, we moved. It is twenty-two Station Street now.'],
    ['A', 'Thanks, I have updated the address.'],
  ],
  [
    ['C', 'Will this affect my credit score at all?'],
    ['A', 'No, nothing we are doing today is reported to credit agencies.'],
  ],
  [
    ['A', 'I am going to read you a short statement about how we use your data.'],
    ['A', 'We record calls for training and quality purposes and keep them for twelve months.'],
    ['C', 'Okay, that is fine.'],
  ],
  [
    ['C', 'My neighbour had the same problem last month, is it common?'],
    ['A', 'We do see it from time to time, but each case is a bit different.'],
  ],
  [
    ['A', 'Just so you know, there is a survey at the end of the call if you have a minute.'],
    ['C', 'Sure, maybe.'],
  ],
  [
    ['C', 'Sorry, can you say that again? The signal here is bad.'],
    ['A', 'Of course. I said I am checking the account notes now.'],
  ],
  [
    ['A', 'I can see a previous note from my colleague on {month} {day}.'],
    ['A', 'It says the issue was looked at but not closed.'],
    ['C', 'Yes, nobody ever got back to me about it.'],
  ],
  [
    ['C', 'What are your opening hours, in case I need to call again?'],
    ['A', 'We are open eight until eight on weekdays and nine until five on Saturdays.'],
  ],
  [
    ['A', 'One moment, I am waiting for the page to load.'],
    ['A', 'There we are.'],
  ],
];

const SCENARIOS: readonly Scenario[] = [
  {
    kind: 'billing',
    opening: [[['C', "Hi, I'm calling about my {month} bill. I was charged twice, {amount} both times on {month} {day}."]]],
    middle: [
      [
        ['A', 'Let me pull up your recent payments.'],
        ['A', 'I can see the payment of {amount} on {month} {day}, and a second one a minute later.'],
        ['C', 'Yes, that is exactly what my bank shows as well.'],
      ],
      [
        ['C', 'How does that even happen?'],
        ['A', 'It looks like the payment page timed out and the payment was sent again.'],
      ],
      [
        ['C', 'Will I be charged again next month?'],
        ['A', 'No, the next payment is a single one for {amount} on the {day}.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['A', "I've refunded the duplicate payment of {amount}. It will be back on your card within {days} working days."],
          ['C', 'Great, thank you so much, that solves it.'],
        ],
      ],
      follow_up: [
        [
          ['A', 'I need the billing team to approve the refund. I will email you a confirmation within {days} working days.'],
          ['C', 'Okay, I will wait for the email then.'],
        ],
      ],
    },
  },
  {
    kind: 'billing',
    opening: [[['C', 'Hello. I need to understand why my bill went up to {amount2} this month, it is usually {amount}.']]],
    middle: [
      [
        ['A', 'The increase comes from the end of your discount period on the {plan} plan.'],
        ['C', 'Nobody told me the discount was ending.'],
        ['A', 'A letter was sent in {month}, but I can see why it was missed.'],
      ],
      [
        ['C', 'So what are my options?'],
        ['A', 'You can stay on {plan} at the standard price, or move to {plan2}, which is cheaper but has fewer features.'],
      ],
      [
        ['A', 'Part of the increase is also a one-off charge for usage above your allowance.'],
        ['C', 'I did not know I went over.'],
        ['A', 'It was a small amount, on {month} {day}.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['A', "I've moved you to {plan2}, so from next month the bill will be {amount}."],
          ['C', 'Perfect, thank you, that is really helpful.'],
        ],
      ],
      unresolved: [
        [
          ['A', 'I am sorry, the new price is correct and I cannot change it.'],
          ['C', 'That is not good enough. I still think this is unfair and I will look at other providers.'],
        ],
      ],
    },
  },
  {
    kind: 'billing',
    opening: [[['C', "I'm calling because there is a late payment fee of {amount} on my account and I paid on time."]]],
    middle: [
      [
        ['A', 'I am checking the payment history for the last six months now.'],
        ['A', 'Every payment arrived on time, so the fee should not have been applied.'],
        ['C', 'That is what I thought.'],
      ],
      [
        ['C', 'I set up a direct debit exactly so this would not happen.'],
        ['A', 'I can see it. The direct debit was collected on the {day}, one day after the due date, which was our error.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['A', "I've removed the late fee and applied a credit of {amount} to your account."],
          ['C', 'Perfect, thank you, that is really helpful.'],
        ],
      ],
      follow_up: [
        [
          ['A', 'I have asked the billing team to remove the fee. You will receive an email once it is done, within {days} working days.'],
          ['C', 'Okay, thanks.'],
        ],
      ],
    },
  },
  {
    kind: 'support',
    products: ['internet'],
    opening: [
      [['C', 'My internet keeps dropping every evening, usually around eight, and it has been like this for a week.']],
      [['C', "I'm having trouble with the router, the light is flashing orange and nothing connects."]],
    ],
    middle: [
      [
        ['A', 'I am going to run a line test from here, it takes about a minute.'],
        ['C', 'Okay.'],
        ['A', 'The test shows some errors on the line between the cabinet and your home.'],
      ],
      [
        ['A', 'Could you switch the router off at the wall, wait thirty seconds and switch it on again?'],
        ['C', 'Right, doing that now. It is coming back on.'],
        ['A', 'Tell me when the light goes white.'],
        ['C', 'It is white now.'],
      ],
      [
        ['A', 'Can you check whether the cable is firmly in the port marked DSL?'],
        ['C', 'It was a bit loose actually. I have pushed it in.'],
      ],
      [
        ['C', 'Does this have anything to do with the works on my street last week?'],
        ['A', 'It could. There was maintenance in your area on {month} {day}.'],
      ],
      [
        ['A', 'How many devices are connected at the same time in the evening?'],
        ['C', 'Maybe six or seven. Two laptops, phones, the television.'],
        ['A', 'That should be fine on {plan}.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['C', 'It is working now, the pages load straight away.'],
          ['A', "Great, I've also reset the line profile, so it should stay stable."],
          ['C', 'Brilliant, thank you, that fixed it.'],
        ],
      ],
      follow_up: [
        [
          ['A', 'I will book a technician visit for next Tuesday between eight and one.'],
          ['C', 'Tuesday is fine, I work from home.'],
          ['A', 'You will get a text message to confirm the appointment.'],
        ],
      ],
      escalated: [
        [
          ['A', 'This is beyond what I can fix from here. I am going to escalate this to our network specialist team.'],
          ['C', 'Okay, as long as someone actually looks at it this time.'],
        ],
      ],
      unresolved: [
        [
          ['C', 'It is still not working and I have done everything you asked.'],
          ['A', 'I understand. Unfortunately there is nothing more I can do on this call.'],
          ['C', 'This is a waste of time.'],
        ],
      ],
    },
  },
  {
    kind: 'support',
    products: ['phone'],
    opening: [[['C', "Hi, my phone has no signal at home since yesterday. I can't make or receive calls."]]],
    middle: [
      [
        ['A', 'Please open settings, then mobile network, and turn network selection to automatic.'],
        ['C', 'Okay, it is searching. Now it shows two bars.'],
        ['A', 'That is a good sign.'],
      ],
      [
        ['A', 'Can you restart the phone for me?'],
        ['C', 'Restarting now. It takes a while.'],
        ['C', 'Okay, it is back on.'],
      ],
      [
        ['A', 'I can see a mast near you had a fault on {month} {day}.'],
        ['C', 'So it is not my phone then?'],
        ['A', 'Probably not, but let us make sure.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['C', 'Oh, I have full signal now.'],
          ['A', "Great, I've also refreshed your network settings remotely."],
          ['C', 'Perfect, thank you, that worked.'],
        ],
      ],
      follow_up: [
        [
          ['A', 'The engineers are working on the mast. I will text you as soon as it is fixed, within {days} days at most.'],
          ['C', 'Okay, thanks for letting me know.'],
        ],
      ],
    },
  },
  {
    kind: 'support',
    products: ['card', 'order', 'energy', 'phone'],
    opening: [[['C', "I can't log in to the app. It says my password is wrong but I reset it this morning."]]],
    middle: [
      [
        ['A', 'I can see three failed attempts this morning, so the account has been locked for security.'],
        ['C', 'Oh, I did not know it locks.'],
      ],
      [
        ['A', 'Which version of the app are you using? You can see it under settings, then about.'],
        ['C', 'It says version four point two.'],
        ['A', 'Thanks. There is an update available, version four point three.'],
      ],
      [
        ['C', 'I am updating it now.'],
        ['A', 'Let me know when it is done.'],
        ['C', 'Done.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['A', "I've unlocked the account and sent a reset link to your email."],
          ['C', 'Got it, I am in now. That worked, thank you.'],
        ],
      ],
      follow_up: [
        [
          ['A', 'I will raise a ticket with our technical team and we will call you back tomorrow.'],
          ['C', 'Fine, I will keep my phone on.'],
        ],
      ],
    },
  },
  {
    kind: 'support',
    products: ['card'],
    opening: [[['C', 'My card was declined at the supermarket and I have money in the account.']]],
    middle: [
      [
        ['A', 'I am checking the card status now. The card was blocked after an unusual payment abroad.'],
        ['C', 'That was not me, I have not been abroad.'],
        ['A', 'Then the block did its job. Let me go through the recent transactions with you.'],
      ],
      [
        ['A', 'Do you recognise a payment of {amount2} to an online shop on {month} {day}?'],
        ['C', 'No, I have never heard of that shop.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['A', "I've cancelled the old card and a new one will arrive within {days} working days."],
          ['C', 'Okay, great, thank you for sorting that out.'],
        ],
      ],
      escalated: [
        [
          ['A', 'Because this is a fraud case, I am transferring you to the fraud team now.'],
          ['C', 'Okay, thank you.'],
        ],
      ],
    },
  },
  {
    kind: 'support',
    products: ['energy'],
    opening: [[['C', 'I want to submit a meter reading but the website keeps giving me an error.']]],
    middle: [
      [
        ['A', 'I can take the meter reading over the phone. What does the display show?'],
        ['C', 'Zero four seven three nine, then a red digit two.'],
        ['A', 'Thank you, I have recorded it for {month} {day}.'],
      ],
      [
        ['C', 'Is my bill based on estimates at the moment?'],
        ['A', 'Yes, the last two bills were estimated, so this reading will correct them.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['A', "I've updated your account with the reading, and the next bill will use it."],
          ['C', 'Great, thank you, that is sorted.'],
        ],
      ],
      follow_up: [
        [
          ['A', 'I will report the website error to our web team and email you when it is fixed.'],
          ['C', 'Okay, thanks.'],
        ],
      ],
    },
  },
  {
    kind: 'sales',
    opening: [
      [['C', "I'd like to upgrade to the {plan2} plan. What would it cost me?"]],
      [['C', 'I was wondering if there are any better deals, my contract ends in {month}.']],
    ],
    middle: [
      [
        ['A', 'The {plan2} plan is {amount2} a month on a twelve month term, or {amount} more on a rolling contract.'],
        ['C', 'And what is the difference with my current {plan} plan?'],
        ['A', 'You get priority support and twice the allowance.'],
      ],
      [
        ['A', 'As a loyal customer you qualify for twenty percent off for the first six months.'],
        ['C', 'That sounds good. Is there a setup fee?'],
        ['A', 'No, the setup is free this month.'],
      ],
      [
        ['C', 'Can I cancel within the first month if I do not like it?'],
        ['A', 'Yes, you have fourteen days to change your mind, no questions asked.'],
      ],
      [
        ['A', 'I can also bundle it with the {plan} offer and save you {amount} a year.'],
        ['C', 'Let me think about the bundle, the plan itself is what I need.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['C', 'Okay, let us do it.'],
          ['A', "Great, I've processed the upgrade to {plan2}. It starts on your next billing date."],
          ['C', 'Thank you, that is great.'],
        ],
      ],
      follow_up: [
        [
          ['C', 'I need to talk to my partner first.'],
          ['A', 'Of course. I will send you the quote by email and I will call you back on Friday.'],
          ['C', 'Sounds good.'],
        ],
      ],
      unresolved: [
        [
          ['C', 'That is more than I want to pay. I will leave it for now.'],
          ['A', 'I understand. The offer is there if you change your mind.'],
        ],
      ],
    },
  },
  {
    kind: 'sales',
    products: ['phone', 'internet'],
    opening: [[['C', 'I am interested in adding a second line for my daughter.']]],
    middle: [
      [
        ['A', 'A second line on the {plan} plan is {amount} a month, and you get a family discount.'],
        ['C', 'Does she need a new phone or can she keep hers?'],
        ['A', 'She can keep hers, we just send a SIM card.'],
      ],
      [
        ['C', 'Can I set a spending limit on her line?'],
        ['A', 'Yes, you can cap it at any amount from the app.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['A', "I've added the second line. The SIM card will arrive within {days} working days."],
          ['C', 'Great, thank you so much.'],
        ],
      ],
      follow_up: [
        [
          ['A', 'I will email you the details so you can look at them with her, and you can call back to confirm.'],
          ['C', 'Perfect, I will do that.'],
        ],
      ],
    },
  },
  {
    kind: 'complaint',
    products: ['order'],
    opening: [[['C', 'I want to make a complaint. My order never arrived and the tracking says delivered.']]],
    middle: [
      [
        ['A', 'The courier reports the parcel was left in a safe place on {month} {day}.'],
        ['C', 'There is no safe place, I live in a flat. Nobody left anything.'],
        ['A', 'I see. I will open an investigation with the courier.'],
      ],
      [
        ['C', 'It was a birthday present, and now the birthday has passed.'],
        ['A', 'I am really sorry, that is disappointing.'],
      ],
      [
        ['C', 'I paid {amount2} for next day delivery, too.'],
        ['A', 'I can see that, and it clearly was not next day.'],
      ],
    ],
    endings: {
      resolved: [
        [
          ['A', "I've arranged a replacement for next day delivery and refunded the delivery charge."],
          ['C', 'Okay, thank you, that is fair. I appreciate it.'],
        ],
      ],
      follow_up: [
        [
          ['A', 'I have raised a formal complaint, reference {ref}. The complaints team will contact you within {days} working days.'],
          ['C', 'Okay. I hope this time someone actually calls.'],
        ],
      ],
    },
  },
  {
    kind: 'complaint',
    opening: [[['C', 'I am really unhappy. This is the third time I call about the same problem and nobody has fixed it.']]],
    middle: [
      [
        ['A', 'I am very sorry to hear that. Let me look at the history of your case.'],
        ['A', 'I can see calls on {month} {day} and two more since then.'],
        ['C', 'Exactly, and every time I was promised a call back that never came.'],
      ],
      [
        ['C', 'Honestly the service has been terrible. I have been a customer for eight years.'],
        ['A', 'I understand your frustration, and you are right to expect better.'],
      ],
      [
        ['C', 'I want compensation for the wasted time.'],
        ['A', 'I can look at what we can offer once I have the full picture.'],
      ],
    ],
    endings: {
      escalated: [
        [
          ['A', 'I am going to escalate this to my manager, who will review your case today.'],
          ['C', 'Fine, but this is ridiculous. I expect a proper answer.'],
        ],
        [
          ['C', 'I want to speak to a supervisor.'],
          ['A', 'Of course, I will transfer you to my supervisor now. Please hold.'],
        ],
      ],
      unresolved: [
        [
          ['A', 'I am sorry, I am not able to offer compensation for this.'],
          ['C', 'This is not acceptable. I want to cancel my contract.'],
        ],
      ],
      resolved: [
        [
          ['A', "I've applied a credit of {amount} for the trouble, and I have closed the old fault properly this time."],
          ['C', 'Okay, thank you, that is fair.'],
        ],
      ],
    },
  },
  {
    kind: 'complaint',
    products: ['internet', 'energy', 'phone'],
    opening: [[['C', 'The engineer did not turn up yesterday, I took a day off work for nothing. I am furious.']]],
    middle: [
      [
        ['A', 'I am so sorry. I can see the appointment on {month} {day} was marked as missed by our side.'],
        ['C', 'So you admit it was your fault.'],
        ['A', 'Yes, it was, and I apologise.'],
      ],
      [
        ['C', 'Nobody called to say they were not coming.'],
        ['A', 'You should have had a call or a text, and I will feed that back.'],
      ],
    ],
    endings: {
      follow_up: [
        [
          ['A', 'I will book the first slot available, next Monday morning, and I will call you the day before to confirm.'],
          ['C', 'Okay. Please make sure they come this time.'],
        ],
      ],
      escalated: [
        [
          ['A', 'I am escalating this to the complaints team so the missed visit is compensated.'],
          ['C', 'Fine. I expect to hear from them this week.'],
        ],
      ],
    },
  },
];

/** Calls that end almost as they start: a dropped line, a wrong number, a silent caller. */
const SHORT_CALLS: readonly Line[][] = [
  [
    ['A', 'Thank you for calling {company}, this is {agent}.'],
    ['C', 'Hello? Hello?'],
    ['A', 'Hello, can you hear me?'],
  ],
  [
    ['A', '{company}, {agent} speaking.'],
    ['C', 'Sorry, wrong number.'],
    ['A', 'No problem, goodbye.'],
  ],
  [
    ['A', 'Hello, {company}, how can I help?'],
    ['C', 'Oh, I will call back later, sorry.'],
  ],
  [['A', 'Thank you for calling {company}. Hello? I am unable to hear you, please call us back.']],
];

const KIND_WEIGHTS: ReadonlyArray<[Kind, number]> = [
  ['support', 0.35],
  ['billing', 0.3],
  ['sales', 0.15],
  ['complaint', 0.2],
];

function facts(r: Rand): Facts {
  const company = pick(r, COMPANIES);
  const plan = pick(r, company.plans);
  return {
    agent: pick(r, AGENTS),
    company,
    amount: `$${between(r, 5, 180)}.${String(between(r, 0, 99)).padStart(2, '0')}`,
    amount2: `$${between(r, 20, 240)}.${String(between(r, 0, 99)).padStart(2, '0')}`,
    month: pick(r, MONTHS),
    day: between(r, 1, 28),
    plan,
    plan2: pick(
      r,
      company.plans.filter((p) => p !== plan),
    ),
    ref: `${String.fromCharCode(65 + between(r, 0, 25))}${String.fromCharCode(65 + between(r, 0, 25))}${between(r, 10, 99)} ${between(r, 1, 9)}${String.fromCharCode(65 + between(r, 0, 25))}${String.fromCharCode(65 + between(r, 0, 25))}`,
    days: pick(r, [3, 5, 7, 10]),
  };
}

function render(line: Line, f: Facts): string {
  const text = line[1].replace(/\{(\w+)\}/g, (_, k: string) => {
    switch (k) {
      case 'company':
        return f.company.name;
      case 'product':
        return f.company.product;
      case 'day':
        return String(f.day);
      case 'days':
        return String(f.days);
      default:
        return String((f as unknown as Record<string, unknown>)[k]);
    }
  });
  return `${line[0] === 'A' ? 'Agent' : 'Customer'}: ${text}`;
}

/** One call of about `targetWords` words. Returns its text and its length in seconds. */
export function makeCall(r: Rand, targetWords: number, kind?: Kind): { text: string; kind: Kind; outcome: Outcome; seconds: number } {
  const chosenKind = kind ?? weighted(r, KIND_WEIGHTS);
  const f = facts(r);
  if (targetWords < 30) {
    const text = pick(r, SHORT_CALLS)
      .map((l) => render(l, f))
      .join('\n');
    return { text, kind: chosenKind, outcome: 'unresolved', seconds: between(r, 3, 20) };
  }
  const candidates = SCENARIOS.filter((s) => s.kind === chosenKind && (!s.products || s.products.includes(f.company.product)));
  const scenario = pick(r, candidates.length ? candidates : SCENARIOS.filter((s) => s.kind === chosenKind));
  const outcomes = Object.keys(scenario.endings) as Outcome[];
  const outcome = pick(r, outcomes);
  const lines: Line[] = [...pick(r, GREETINGS), ...pick(r, scenario.opening)];
  if (r() < 0.7) lines.push(...pick(r, VERIFY));
  const ending = [...pick(r, scenario.endings[outcome]!), ...pick(r, CLOSINGS)];
  const words = (ls: readonly Line[]): number => ls.reduce((a, l) => a + l[1].split(' ').length + 1, 0);
  const endWords = words(ending);
  let total = words(lines);
  const add = (ls: readonly Line[]): void => {
    lines.push(...ls);
    total += words(ls);
  };
  // The scenario's own exchanges first, in a shuffled order; then exchanges any call can have;
  // past those, long calls go round again, as long calls do.
  const pool = [...shuffle(r, scenario.middle), ...shuffle(r, GENERIC)];
  let holds = 0;
  let k = 0;
  do {
    add(pool[k % pool.length]!);
    if (k >= pool.length && k % pool.length === 0) add([['C', 'Sorry, can we go over that again? I want to be sure I understand.']]);
    k++;
    if (r() < 0.12) {
      add(pick(r, HOLDS));
      holds++;
    }
  } while (total + endWords < targetWords);
  lines.push(...ending);
  const text = lines.map((l) => render(l, f)).join('\n');
  const spoken = text.split(/\s+/).length;
  // About 2.6 words a second of speech, plus the holds; contact centres cut calls at half an hour.
  return { text, kind: chosenKind, outcome, seconds: Math.min(1800, Math.round(spoken / 2.6) + holds * between(r, 10, 40)) };
}

function shuffle<T>(r: Rand, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function weighted<T>(r: Rand, items: ReadonlyArray<[T, number]>): T {
  let x = r() * items.reduce((a, [, w]) => a + w, 0);
  for (const [item, w] of items) {
    x -= w;
    if (x <= 0) return item;
  }
  return items[items.length - 1]![0];
}

/** How long calls are, in words: most a few minutes, a few very short, a few half an hour. */
function callWords(r: Rand): number {
  const x = r();
  if (x < 0.05) return between(r, 5, 25); // a few seconds: dropped lines, wrong numbers
  if (x < 0.8) return between(r, 250, 1400);
  if (x < 0.95) return between(r, 1400, 2600);
  return between(r, 2600, 3800);
}

const OTHER_LANGUAGES: ReadonlyArray<{ language: string; text: string }> = [
  {
    language: 'es-ES',
    text: `Agente: Buenos días, gracias por llamar a Brightwave Mobile, le atiende Sofía. ¿En qué puedo ayudarle?
Cliente: Hola, quiero cambiar mi tarifa porque la factura de este mes es muy alta.
Agente: Entiendo. Veo que su descuento terminó en octubre. Le puedo ofrecer la tarifa Basic 5GB por doce euros al mes.
Cliente: Perfecto, me interesa. ¿Desde cuándo se aplica?
Agente: Desde el próximo ciclo de facturación. Le envío la confirmación por correo.
Cliente: Muchas gracias, muy amable.`,
  },
  {
    language: 'fr-FR',
    text: `Agent : Bonjour, Harbor Broadband, Laura à votre écoute.
Client : Bonjour, ma connexion internet coupe tous les soirs depuis une semaine.
Agent : Je suis désolée. Je lance un test de ligne, cela prend une minute.
Agent : Le test montre des erreurs sur la ligne. Je vous propose l'intervention d'un technicien mardi matin.
Client : Mardi, c'est d'accord. Merci beaucoup.`,
  },
  {
    language: 'de-DE',
    text: `Agent: Guten Tag, Lumen Bank, Sie sprechen mit Daniel. Wie kann ich helfen?
Kunde: Meine Karte wurde heute im Supermarkt abgelehnt, obwohl genug Geld auf dem Konto ist.
Agent: Ich sehe, dass die Karte nach einer ungewöhnlichen Zahlung im Ausland gesperrt wurde.
Kunde: Das war ich nicht. Ich war nicht im Ausland.
Agent: Dann sperre ich die Karte endgültig und schicke Ihnen eine neue. Sie kommt in fünf Werktagen.
Kunde: Vielen Dank für die schnelle Hilfe.`,
  },
  {
    language: 'pt-BR',
    text: `Atendente: Boa tarde, Parcel and Pine, meu nome é Lucas. Como posso ajudar?
Cliente: Boa tarde. Meu pedido não chegou, mas o rastreamento diz que foi entregue.
Atendente: Sinto muito. Vou abrir uma investigação com a transportadora e enviar um novo pedido amanhã.
Cliente: Está bem, obrigado.`,
  },
  {
    language: 'it-IT',
    text: `Operatore: Buongiorno, Cedar Home Energy, sono Fatima.
Cliente: Buongiorno, vorrei comunicare la lettura del contatore, il sito mi dà un errore.
Operatore: Nessun problema, la registro io. Che numero vede sul display?
Cliente: Zero quattro sette tre nove.
Operatore: Registrato. Grazie e buona giornata.`,
  },
  {
    language: 'nl-NL',
    text: `Medewerker: Goedemiddag, Brightwave Mobile, u spreekt met Owen.
Klant: Ik wil graag een klacht indienen. Ik bel al voor de derde keer over hetzelfde probleem.
Medewerker: Dat spijt me zeer. Ik stuur uw klacht door naar mijn leidinggevende.
Klant: Dat is goed, maar ik verwacht vandaag nog een reactie.`,
  },
];

export interface MakeOptions {
  /** Number of lines. @default 220 */
  readonly count?: number;
  /** @default 20261128 */
  readonly seed?: number;
  /** Only ordinary calls: no empty, over-long, foreign or duplicated ones. @default false */
  readonly plain?: boolean;
  /** Every ordinary call about this many words long. @default - from a few to 3,800 */
  readonly words?: number;
}

/** The rows of the sample file, in order. */
export function* makeTranscripts(options: MakeOptions = {}): Generator<TranscriptRow> {
  const count = options.count ?? 220;
  const r = rng(options.seed ?? 20261128);
  const start = Date.UTC(2026, 9, 1, 8, 0, 0);
  const rows: TranscriptRow[] = [];
  const special = options.plain ? new Map<number, string>() : specialSlots(count);
  let overlong = 0;
  for (let i = 0; i < count; i++) {
    const id = `tr-${String(i + 1).padStart(6, '0')}`;
    const started = new Date(start + i * 1_800_000 * (1 + r()) + between(r, 0, 59) * 1000);
    const base = {
      transcript_id: id,
      call_started_at: started.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      channel: weighted(r, [
        ['phone', 0.8],
        ['callback', 0.1],
        ['voip', 0.1],
      ] as Array<[string, number]>),
      language: pick(r, ['en-US', 'en-GB']),
      agent_id: `agent-${String(between(r, 1, 40)).padStart(3, '0')}`,
      customer_id: `cust-${between(r, 10000, 99999)}`,
    };
    const kind = special.get(i);
    let row: TranscriptRow;
    if (kind === 'empty') {
      row = { ...base, transcript: pick(r, ['', '   ', '\n']), duration_seconds: between(r, 0, 4) };
    } else if (kind === 'null') {
      row = { ...base, transcript: null, duration_seconds: 0 };
    } else if (kind === 'overlong') {
      // A recording left running for hours: the first over the construct's default limit
      // (maxTranscriptChars, 400,000 characters), the second over the jobs' own (1,000,000).
      const limit = overlong++ === 0 ? 410_000 : 1_010_000;
      const parts: string[] = [];
      let chars = 0;
      let seconds = 0;
      while (chars < limit) {
        const call = makeCall(r, 4000, 'support');
        parts.push(call.text);
        chars += call.text.length + 1;
        seconds += call.seconds;
      }
      row = { ...base, transcript: parts.join('\n'), duration_seconds: seconds };
    } else if (kind === 'foreign') {
      const other = OTHER_LANGUAGES[rows.filter((x) => !x.language.startsWith('en')).length % OTHER_LANGUAGES.length]!;
      row = {
        ...base,
        language: other.language,
        transcript: other.text,
        duration_seconds: Math.round(other.text.split(/\s+/).length / 2.4),
      };
    } else if (kind === 'duplicate' || kind === 'changed') {
      let j = Math.floor(i / (kind === 'duplicate' ? 2 : 3));
      while (j > 0 && special.has(j)) j--;
      const earlier = rows[j]!;
      row =
        kind === 'duplicate'
          ? { ...earlier }
          : {
              ...earlier,
              transcript: `${earlier.transcript}\nCustomer: Sorry, one more thing. Can you send me a copy of this by email?\nAgent: Of course, I will email it to you today.`,
            };
    } else {
      const call = makeCall(r, options.words ?? callWords(r));
      row = { ...base, transcript: call.text, duration_seconds: call.seconds };
    }
    const ordered: TranscriptRow = {
      transcript_id: row.transcript_id,
      transcript: row.transcript,
      call_started_at: row.call_started_at,
      duration_seconds: row.duration_seconds,
      channel: row.channel,
      language: row.language,
      agent_id: row.agent_id,
      customer_id: row.customer_id,
    };
    rows.push(ordered);
    yield ordered;
  }
}

/** Where the special rows go: spread through the file, the same for a given count. */
function specialSlots(count: number): Map<number, string> {
  const kinds = ['empty', 'empty', 'null', 'overlong', 'overlong', ...Array(6).fill('foreign'), 'duplicate', 'changed', 'duplicate'];
  const slots = new Map<number, string>();
  if (count < kinds.length * 4) return slots;
  kinds.forEach((kind, k) => slots.set(Math.floor(((k + 1) * count) / (kinds.length + 1)) + (k % 3), kind));
  return slots;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const out = flag('out') ?? path.join(__dirname, 'transcripts.jsonl');
  const count = Number(flag('count') ?? 220);
  const seed = Number(flag('seed') ?? 20261128);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--count must be a positive integer, got ${flag('count')}`);
  const stream = createWriteStream(out);
  let n = 0;
  const words = flag('words') === undefined ? undefined : Number(flag('words'));
  if (words !== undefined && !(Number.isInteger(words) && words > 0))
    throw new Error(`--words must be a positive integer, got ${flag('words')}`);
  for (const row of makeTranscripts({ count, seed, plain: args.includes('--plain'), words })) {
    if (!stream.write(`${JSON.stringify(row)}\n`)) await new Promise<void>((r) => stream.once('drain', () => r()));
    n++;
  }
  await new Promise<void>((resolve, reject) => stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  process.stderr.write(`wrote ${n} transcripts to ${out}\n`);
}

if (require.main === module || /make-transcripts\.ts$/.test(process.argv[1] ?? '')) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
