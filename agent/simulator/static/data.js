"use strict";
// Fake chats: invented names and text, never real people.
const CHATS = [
  { id: "c1", name: "Ana Lima", time: "10:42", messages: [
    { from: "them", text: "Are we still meeting at the library?" },
    { from: "me", text: "Yes, at three, second floor." },
    { from: "them", text: "Great, see you there" } ] },
  { id: "c2", name: "Book club", time: "09:15", messages: [
    { from: "them", text: "Next month: a novel about lighthouses." },
    { from: "them", text: "Who brings the biscuits?" } ] },
  { id: "c3", name: "Jonas Weber", time: "Yesterday", messages: [
    { from: "me", text: "Thanks for the printer tip!" },
    { from: "them", text: "Any time :)" } ] },
  { id: "c4", name: "Hotel front desk", time: "Yesterday", messages: [
    { from: "them", text: "Your late checkout is confirmed for 1 pm." } ] },
  { id: "c5", name: "Sari Putri", time: "Monday", messages: [
    { from: "them", text: "Did the photos upload?" },
    { from: "me", text: "Uploading now" } ] },
  { id: "c6", name: "Family", time: "Sunday", messages: [
    { from: "them", text: "Lunch at grandma's at noon." },
    { from: "me", text: "I'll bring dessert." } ] },
  { id: "c7", name: "Lucía Martín", time: "12/03", messages: [
    { from: "them", text: "The bus timetable changed again." } ] },
  { id: "c8", name: "Camille Roux", time: "11/03", messages: [
    { from: "them", text: "Merci for the recipe!" } ] },
];
