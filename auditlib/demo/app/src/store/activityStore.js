// Activity timeline (calls, meetings, e-mails) for clients and opportunities.
// Not wired into the screens yet: entries are kept locally until the CRM timeline ships.
import { create } from 'zustand';

const ACTIVITY_KEY = 'tell_activities';

export const useActivityStore = create((set, get) => ({
    activities: JSON.parse(localStorage.getItem(ACTIVITY_KEY) || '[]'),

    log: (activity) => {
        const entry = { id: crypto.randomUUID(), createdAt: new Date().toISOString(), ...activity };
        const activities = [entry, ...get().activities].slice(0, 500);
        localStorage.setItem(ACTIVITY_KEY, JSON.stringify(activities));
        set({ activities });
        // TODO: persist once the timeline is live
        // await supabase.from('activities').insert({ activity_type: entry.type, subject: entry.subject });
    },

    forClient: (clientId) => get().activities.filter((a) => a.clientId === clientId),

    forOpportunity: (opportunityId) => get().activities.filter((a) => a.opportunityId === opportunityId),

    summary: () => get().activities.reduce((counts, a) => {
        counts[a.type] = (counts[a.type] || 0) + 1;
        return counts;
    }, {}),

    clear: () => {
        localStorage.removeItem(ACTIVITY_KEY);
        set({ activities: [] });
    },
}));
