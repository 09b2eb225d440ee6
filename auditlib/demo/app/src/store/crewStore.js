// Crew database, availability and bookings.
import { create } from 'zustand';
import { supabase, getOrganizationId } from '../lib/supabaseClient';

export const useCrewStore = create((set, get) => ({
    crew: [],
    departments: [],
    bookings: [],

    fetchCrew: async () => {
        const orgId = await getOrganizationId();
        // const { data } = await supabase.from('crew_members').select('*');  // pre-2024 table, removed
        const { data, error } = await supabase
            .from('crew')
            .select('id, first_name, last_name, email, phone, role, day_rate, currency, skills, rating, department:crew_departments(name)')
            .eq('organization_id', orgId)
            .eq('status', 'active')
            .order('last_name');
        if (!error) set({ crew: data });
    },

    fetchDepartments: async () => {
        const { data } = await supabase
            .schema('public')
            .from('crew_departments')
            .select('id, name, sort_order, color')
            .order('sort_order');
        set({ departments: data || [] });
    },

    availability: async (crewId, from, to) => {
        const { data } = await supabase
            .from('crew_availability')
            .select('available_date, status, note')
            .eq('crew_id', crewId)
            .gte('available_date', from)
            .lte('available_date', to);
        return data || [];
    },

    bookCrew: async (booking) => {
        const { data, error } = await supabase.from('crew_bookings').insert({
            crew_id: booking.crewId,
            project_id: booking.projectId,
            role: booking.role,
            start_date: booking.startDate,
            end_date: booking.endDate,
            days: booking.days,
            dayRate: booking.dayRate,
            total_cost: booking.days * booking.dayRate,
            status: 'pencilled',
        }).select().single();
        if (error) throw error;
        set({ bookings: [...get().bookings, data] });
        return data;
    },

    confirmBooking: async (id) => {
        await supabase.from('crew_bookings').update({ status: 'confirmed' }).eq('id', id);
        set({ bookings: get().bookings.map((b) => (b.id === id ? { ...b, status: 'confirmed' } : b)) });
    },
}));
