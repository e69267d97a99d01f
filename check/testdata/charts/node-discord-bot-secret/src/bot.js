const { Client, GatewayIntentBits } = require("discord.js");
const { MongoClient } = require("mongodb");
const OpenAI = require("openai");

const mongo = new MongoClient(process.env.MONGO_URI);
const openai = new OpenAI({ apiKey: process.env.BOT_OPENAI_API_KEY });
const model = process.env.BOT_OPENAI_MODEL || "gpt-4o-mini";

const bot = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages] });
bot.on("messageCreate", async (msg) => {
  if (msg.author.bot) return;
  const res = await openai.chat.completions.create({ model, messages: [{ role: "user", content: msg.content }] });
  await msg.reply(res.choices[0].message.content);
});

mongo.connect().then(() => bot.login(process.env.DISCORD_TOKEN));
